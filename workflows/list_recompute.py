"""Recompute a whole list from its rule, page by page; safe to re-run (each page is a diff)."""

import asyncio
import dataclasses

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.events import EventActivities
    from activities.lists import ListActivities
    from domain.events.payloads import PendingEventsInput
    from domain.lists.payloads import (
        DISPATCH_LIST_EVENTS_WORKFLOW,
        LIST_RECOMPUTE_WORKFLOW,
        REFRESH_TIME_BASED_LISTS_WORKFLOW,
        ListRecomputeInput,
        ListRecomputePage,
        RecomputeProgressInput,
        RefreshInput,
        dispatch_workflow_id,
    )
    from workflows.policies import DATABASE_RETRY, PAGE, SHORT_HEARTBEAT, STEP


@workflow.defn(name=LIST_RECOMPUTE_WORKFLOW)
class ListRecompute:
    def __init__(self) -> None:
        self.progress: ListRecomputePage | None = None

    @workflow.query
    def status(self) -> ListRecomputePage | None:
        return self.progress

    @workflow.run
    async def run(self, job: ListRecomputeInput) -> ListRecomputePage:
        job.as_of = job.as_of or workflow.now().isoformat()
        self.progress = await self._in_lanes(job)
        if self.progress.done and self._has_events_to_dispatch():
            # Started once, at the end: dispatching per page would queue the recompute's own tasks
            # behind thousands of event workflows (measured: 40x slower).
            await self._dispatch_membership_events(job.list_id)
        return self.progress

    async def _in_lanes(self, job: ListRecomputeInput) -> ListRecomputePage:
        """Walk the project's users a page at a time — `job.lanes` pages side by side when walking the
        table's blocks — and show the totals on the list after each round. The walk is planned first
        (its kind, how far the table reaches, pages of even size)."""
        if job.end_block is None:
            job = await workflow.execute_activity_method(
                ListActivities.plan_list_recompute,
                job,
                start_to_close_timeout=STEP,
                retry_policy=DATABASE_RETRY,
            )
        while True:
            if job.walk == "blocks" and job.end_block is not None:
                starts = [job.next_block + lane * job.page_blocks for lane in range(job.lanes)]
                starts = [start for start in starts if start < job.end_block] or starts[:1]
            else:
                starts = [job.next_block]
            pages = await asyncio.gather(*(self._page(job, start) for start in starts))
            last = pages[-1]
            progress = ListRecomputePage(
                scanned=job.scanned + sum(page.scanned for page in pages),
                added=job.added + sum(page.added for page in pages),
                removed=job.removed + sum(page.removed for page in pages),
                done=any(page.done for page in pages),
                superseded=any(page.superseded for page in pages),
                pending=job.pending + sum(page.pending for page in pages),
                walk=last.walk,
                next_block=max(page.next_block for page in pages),
                end_block=last.end_block,
                after_user_id=last.after_user_id,
                total_users=last.total_users,
            )
            self.progress = progress
            if progress.superseded:
                return progress
            await workflow.execute_activity_method(
                ListActivities.record_list_recompute_progress,
                RecomputeProgressInput(job.list_id, job.version, job.as_of, progress),
                start_to_close_timeout=STEP,
                retry_policy=DATABASE_RETRY,
            )
            if progress.done:
                return progress
            self._advance(job, progress)
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(job)

    async def _page(self, job: ListRecomputeInput, start: int) -> ListRecomputePage:
        """One page (from block `start` on a block walk), counted on its own: the lanes' totals are
        summed here."""
        page = dataclasses.replace(
            job, next_block=start, scanned=0, added=0, removed=0, pending=0, record_progress=False
        )
        return await workflow.execute_activity_method(
            ListActivities.recompute_list_page,
            page,
            start_to_close_timeout=PAGE,
            retry_policy=DATABASE_RETRY,
        )

    @staticmethod
    def _advance(job: ListRecomputeInput, progress: ListRecomputePage) -> None:
        job.walk, job.next_block, job.end_block = progress.walk, progress.next_block, progress.end_block
        job.after_user_id, job.total_users = progress.after_user_id, progress.total_users
        job.scanned, job.added, job.removed = progress.scanned, progress.added, progress.removed
        job.pending = progress.pending

    def _has_events_to_dispatch(self) -> bool:
        assert self.progress is not None
        # Membership events nothing listens for were written complete: no dispatcher needed.
        return self.progress.pending > 0

    async def _dispatch_membership_events(self, list_id: str) -> None:
        """Make sure the list's dispatcher runs: it starts the pipeline for the membership events this
        recompute recorded, at the pace Temporal allows, and outlives the recompute if it must."""
        try:
            await workflow.start_child_workflow(
                DISPATCH_LIST_EVENTS_WORKFLOW,
                list_id,
                id=dispatch_workflow_id(list_id),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            pass


@workflow.defn(name=DISPATCH_LIST_EVENTS_WORKFLOW)
class DispatchListEvents:
    @workflow.run
    async def run(self, list_id: str) -> int:
        dispatched = 0
        while True:
            batch = await workflow.execute_activity_method(
                EventActivities.dispatch_pending_events,
                PendingEventsInput(grace_seconds=0, limit=500, list_id=list_id),
                start_to_close_timeout=PAGE,
                heartbeat_timeout=SHORT_HEARTBEAT,
                retry_policy=DATABASE_RETRY,
            )
            dispatched += batch
            if batch < 500:
                return dispatched
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(list_id)


@workflow.defn(name=REFRESH_TIME_BASED_LISTS_WORKFLOW)
class RefreshTimeBasedLists:
    """Users leave (or join) lists as their events age out of a `within` window or they cross a
    relative date, without any new event: the system clock does this every minute; this runs it once."""

    @workflow.run
    async def run(self, refresh: RefreshInput) -> int:
        return await refresh_time_based_lists(refresh)


async def refresh_time_based_lists(refresh: RefreshInput) -> int:
    """Start the recomputes that are due; a local activity, so no workflow task of its own."""
    refresh.as_of = refresh.as_of or workflow.now().isoformat()
    return await workflow.execute_local_activity_method(
        ListActivities.start_due_list_refreshes, refresh, start_to_close_timeout=PAGE
    )
