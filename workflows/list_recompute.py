"""Recompute a whole list from its rule, page by page; safe to re-run (each page is a diff)."""

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.events import EventActivities, PendingEventsInput
    from activities.lists import ListActivities
    from domain.lists.pipeline import (
        LIST_RECOMPUTE_WORKFLOW,
        ListRecomputeInput,
        ListRecomputePage,
        RefreshInput,
        dispatch_workflow_id,
    )
    from workflows.process_event import DATABASE_RETRY


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
        while True:
            self.progress = await workflow.execute_activity_method(
                ListActivities.recompute_list_page,
                job,
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=DATABASE_RETRY,
            )
            if self.progress.done:
                # Started once, at the end: dispatching per page would queue the recompute's own tasks
                # behind thousands of event workflows (measured: 40x slower).
                if self._has_events_to_dispatch():
                    await self._dispatch_membership_events(job.list_id)
                return self.progress
            job.after_user_id = self.progress.after_user_id
            job.scanned, job.added, job.removed = self.progress.scanned, self.progress.added, self.progress.removed
            job.pending = self.progress.pending
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(job)

    def _has_events_to_dispatch(self) -> bool:
        assert self.progress is not None
        if workflow.patched("dispatch-heard-membership-events"):
            # Membership events nothing listens for were written complete: no dispatcher needed.
            return self.progress.pending > 0
        return self.progress.added + self.progress.removed > 0

    async def _dispatch_membership_events(self, list_id: str) -> None:
        """Make sure the list's dispatcher runs: it starts the pipeline for the membership events this
        recompute recorded, at the pace Temporal allows, and outlives the recompute if it must."""
        try:
            await workflow.start_child_workflow(
                DispatchListEvents.run,
                list_id,
                id=dispatch_workflow_id(list_id),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            pass


@workflow.defn
class DispatchListEvents:
    @workflow.run
    async def run(self, list_id: str) -> int:
        dispatched = 0
        while True:
            batch = await workflow.execute_activity_method(
                EventActivities.dispatch_pending_events,
                PendingEventsInput(grace_seconds=0, limit=500, list_id=list_id),
                start_to_close_timeout=timedelta(minutes=5),
                heartbeat_timeout=timedelta(minutes=1),
                retry_policy=DATABASE_RETRY,
            )
            dispatched += batch
            if batch < 500:
                return dispatched
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(list_id)


@workflow.defn
class RefreshTimeBasedLists:
    """Run by a Temporal Schedule: users leave (or join) lists as their events age out of a `within`
    window or they cross a relative date, without any new event."""

    @workflow.run
    async def run(self, refresh: RefreshInput) -> int:
        refresh.as_of = refresh.as_of or workflow.now().isoformat()
        return await workflow.execute_activity_method(
            ListActivities.start_due_list_refreshes, refresh, start_to_close_timeout=timedelta(minutes=5)
        )
