"""List I/O: a page of a full recompute, and real-time recompute for an organization's members."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from temporalio import activity

from core.db import SessionFactory
from domain.lists.membership import recompute_for_user, recompute_page
from domain.lists.models import List
from domain.lists.pipeline import ListRecomputeInput, ListRecomputePage, OrganizationMembersInput, RefreshInput
from domain.organizations.models import OrganizationMember
from domain.paging import user_id_pages
from workflows.starters import EventStarter, start_list_recompute


class ListActivities:
    def __init__(self, sessions: SessionFactory, starter: EventStarter) -> None:
        self.sessions = sessions
        self.starter = starter

    @activity.defn
    async def recompute_list_page(self, job: ListRecomputeInput) -> ListRecomputePage:
        """Recompute the next page of users; idempotent (a diff against current membership)."""
        async with self.sessions() as session:
            lst = await session.get(List, uuid.UUID(job.list_id), with_for_update=True)
            if lst is None or lst.version != job.version or lst.rule is None:
                return ListRecomputePage(
                    job.after_user_id, job.scanned, job.added, job.removed, True, True, job.pending
                )
            after = uuid.UUID(job.after_user_id) if job.after_user_id else None
            as_of = datetime.fromisoformat(job.as_of) if job.as_of else datetime.now(UTC)
            page = await recompute_page(session, lst, after, job.page_size, as_of)
            result = ListRecomputePage(
                after_user_id=str(page.last_user_id) if page.last_user_id else None,
                scanned=job.scanned + page.scanned,
                added=job.added + page.added,
                removed=job.removed + page.removed,
                done=page.last_user_id is None,
                pending=job.pending + page.pending,
            )
            lst.recompute_progress = {"scanned": result.scanned, "added": result.added, "removed": result.removed}
            lst.recompute_state = "idle" if result.done else "running"
            if result.done:
                lst.recomputed_at = as_of
            await self.starter.commit_and_dispatch(session)
        return result

    @activity.defn
    async def recompute_organization_members(self, job: OrganizationMembersInput) -> int:
        """An organization's event or change can move each member in or out of lists."""
        changed = 0
        members = OrganizationMember.organization_id == uuid.UUID(job.organization_id)
        async for _, user_ids in user_id_pages(self.sessions, OrganizationMember.user_id, members):
            for user_id in user_ids:  # one transaction per member: each takes that user's list lock
                async with self.sessions() as session:
                    changes = await recompute_for_user(
                        session, uuid.UUID(job.project_id), user_id, job.trigger, datetime.now(UTC)
                    )
                    await self.starter.commit_and_dispatch(session)
                changed += changes.added + changes.removed
            activity.heartbeat(len(user_ids))
        return changed

    @activity.defn
    async def start_due_list_refreshes(self, refresh: RefreshInput) -> int:
        """Start the recompute of every time-dependent list whose refresh interval has passed."""
        as_of = datetime.fromisoformat(refresh.as_of)
        async with self.sessions() as session:
            interval = func.make_interval(
                0, 0, 0, 0, 0, 0, func.least(List.refresh_seconds, refresh.max_interval_seconds)
            )
            due = list(
                await session.execute(
                    select(List.project_id, List.id, List.version).where(
                        List.refresh_seconds.is_not(None),
                        List.recompute_state == "idle",
                        or_(List.recomputed_at.is_(None), List.recomputed_at + interval <= as_of),
                    )
                )
            )
        for project_id, list_id, version in due:
            await start_list_recompute(
                self.starter.client,
                self.starter.task_queue,
                str(project_id),
                str(list_id),
                version,
                as_of=refresh.as_of,
                replace_running=False,
            )
        return len(due)
