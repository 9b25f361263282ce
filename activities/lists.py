"""List I/O: the plan and the pages of a full recompute, and real-time recompute for an organization's members."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from temporalio import activity

from domain.lists.membership import (
    Blocks,
    PageResult,
    UsersAfter,
    even_page_blocks,
    plan_walk,
    recompute_for_user,
    recompute_page,
    record_progress,
)
from domain.lists.models import List
from domain.lists.payloads import (
    ListRecomputeInput,
    ListRecomputePage,
    OrganizationMembersInput,
    RecomputeProgressInput,
    RefreshInput,
)
from domain.organizations.models import OrganizationMember
from domain.paging import id_pages
from lifecycle.lists import start_list_recompute
from lifecycle.unit_of_work import Dispatch


class ListActivities:
    def __init__(self, dispatch: Dispatch) -> None:
        self.dispatch = dispatch
        self.sessions = dispatch.sessions

    @activity.defn
    async def recompute_list_page(self, job: ListRecomputeInput) -> ListRecomputePage:
        """Recompute the page of users where `job` stands; idempotent (a diff against current membership).
        Returns the job's totals with this page added, and where the walk continues."""
        async with self.dispatch.open() as work:
            session = work.session
            # Shared: pages run side by side, and a rule edit waits for the pages in flight to commit.
            lst = await session.get(List, uuid.UUID(job.list_id), with_for_update={"read": True})
            if lst is None or lst.version != job.version or lst.rule is None:
                return _progress(job, PageResult(0, 0, 0), done=True, superseded=True)
            if not job.walk or job.end_block is None:
                plan = await plan_walk(session, lst.project_id)
                job = replace(job, walk=job.walk or plan.walk, end_block=plan.end_block, total_users=plan.total_users)
            assert job.end_block is not None
            if job.walk == "blocks":
                blocks = range(job.next_block, min(job.next_block + job.page_blocks, job.end_block))
                page = await recompute_page(session, lst, Blocks(blocks), _as_of(job.as_of))
                result = _progress(job, page, done=blocks.stop >= job.end_block)
                result.next_block = max(blocks.stop, job.next_block)
            else:
                after = uuid.UUID(job.after_user_id) if job.after_user_id else None
                page = await recompute_page(session, lst, UsersAfter(after, job.page_users), _as_of(job.as_of))
                result = _progress(job, page, done=page.scanned < job.page_users)
                result.after_user_id = str(page.last_user_id) if page.last_user_id else job.after_user_id
            if job.record_progress:
                record_progress(lst, result, _as_of(job.as_of))
            await work.commit()
        return result

    @activity.defn
    async def plan_list_recompute(self, job: ListRecomputeInput) -> ListRecomputeInput:
        """Choose how the recompute walks the project's users and cut a block walk into pages of even
        size, a whole number of rounds of `job.lanes` pages, so no lane idles at the end."""
        async with self.sessions() as session:
            lst = await session.get(List, uuid.UUID(job.list_id))
            if lst is None:  # deleted: the first page finds it gone and ends the recompute
                return job
            plan = await plan_walk(session, lst.project_id)
        return replace(
            job,
            walk=job.walk or plan.walk,
            end_block=plan.end_block,
            total_users=plan.total_users,
            page_blocks=even_page_blocks(plan.end_block, job.lanes, job.page_blocks),
        )

    @activity.defn
    async def record_list_recompute_progress(self, job: RecomputeProgressInput) -> None:
        """Show a recompute's progress (and, once done, its end) on the list, unless its rule changed."""
        async with self.dispatch.open() as work:
            session = work.session
            lst = await session.get(List, uuid.UUID(job.list_id), with_for_update=True)
            if lst is not None and lst.version == job.version:
                record_progress(lst, job.progress, _as_of(job.as_of))
            await work.commit()

    @activity.defn
    async def recompute_organization_members(self, job: OrganizationMembersInput) -> int:
        """An organization's event or change can move each member in or out of lists."""
        changed = 0
        members = OrganizationMember.organization_id == uuid.UUID(job.organization_id)
        async for user_ids in id_pages(self.sessions, OrganizationMember.user_id, members):
            for user_id in user_ids:  # one transaction per member: each takes that user's list lock
                async with self.dispatch.open() as work:
                    changes = await recompute_for_user(
                        work, uuid.UUID(job.project_id), user_id, job.trigger, datetime.now(UTC)
                    )
                    await work.commit()
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
                self.dispatch.events.client,
                self.dispatch.events.task_queue,
                str(project_id),
                str(list_id),
                version,
                as_of=refresh.as_of,
                replace_running=False,
            )
        return len(due)


def _progress(job: ListRecomputeInput, page: PageResult, *, done: bool, superseded: bool = False) -> ListRecomputePage:
    """The job's totals with `page` added; the walk stays where the job stands until the caller moves it."""
    return ListRecomputePage(
        scanned=job.scanned + page.scanned,
        added=job.added + page.added,
        removed=job.removed + page.removed,
        done=done,
        superseded=superseded,
        pending=job.pending + page.pending,
        walk=job.walk,
        next_block=job.next_block,
        end_block=job.end_block,
        after_user_id=job.after_user_id,
        total_users=job.total_users,
    )


def _as_of(value: str) -> datetime:
    return datetime.fromisoformat(value) if value else datetime.now(UTC)
