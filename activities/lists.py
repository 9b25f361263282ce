"""List I/O: a page of a full recompute, and real-time recompute for an organization's members."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from temporalio import activity

from core.db import SessionFactory
from domain.lists.membership import (
    PageResult,
    recompute_for_user,
    recompute_page,
    record_progress,
    users_table_blocks,
)
from domain.lists.models import List
from domain.lists.pipeline import (
    ListRecomputeInput,
    ListRecomputePage,
    OrganizationMembersInput,
    RecomputeProgressInput,
    RefreshInput,
)
from domain.organizations.models import OrganizationMember
from domain.paging import user_id_pages
from workflows.starters import EventStarter, start_list_recompute


class ListActivities:
    def __init__(self, sessions: SessionFactory, starter: EventStarter) -> None:
        self.sessions = sessions
        self.starter = starter

    @activity.defn
    async def recompute_list_page(self, job: ListRecomputeInput) -> ListRecomputePage:
        """Recompute the page of users stored from `job.next_block` on; idempotent (a diff against current
        membership). Returns the job's totals with this page added."""
        async with self.sessions() as session:
            # Shared: pages run side by side, and a rule edit waits for the pages in flight to commit.
            lst = await session.get(List, uuid.UUID(job.list_id), with_for_update={"read": True})
            end = job.end_block if job.end_block is not None else await users_table_blocks(session)
            if lst is None or lst.version != job.version or lst.rule is None:
                return ListRecomputePage(
                    job.scanned, job.added, job.removed, True, True, job.pending, job.next_block, end
                )
            blocks = range(job.next_block, min(job.next_block + job.page_blocks, end))
            page = await recompute_page(session, lst, blocks, _as_of(job.as_of)) if blocks else PageResult(0, 0, 0)
            result = ListRecomputePage(
                next_block=max(blocks.stop, job.next_block),
                end_block=end,
                scanned=job.scanned + page.scanned,
                added=job.added + page.added,
                removed=job.removed + page.removed,
                done=blocks.stop >= end,
                pending=job.pending + page.pending,
            )
            if job.record_progress:
                record_progress(lst, result, _as_of(job.as_of))
            await self.starter.commit_and_dispatch(session)
        return result

    @activity.defn
    async def record_list_recompute_progress(self, job: RecomputeProgressInput) -> None:
        """Show a recompute's progress (and, once done, its end) on the list, unless its rule changed."""
        async with self.sessions() as session:
            lst = await session.get(List, uuid.UUID(job.list_id), with_for_update=True)
            if lst is not None and lst.version == job.version:
                record_progress(lst, job.progress, _as_of(job.as_of))
            await session.commit()

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


def _as_of(value: str) -> datetime:
    return datetime.fromisoformat(value) if value else datetime.now(UTC)
