"""Recompute a whole list from its rule, page by page; safe to re-run (each page is a diff)."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.lists import ListActivities
    from domain.lists.pipeline import (
        LIST_RECOMPUTE_WORKFLOW,
        ListRecomputeInput,
        ListRecomputePage,
        RefreshInput,
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
                return self.progress
            job.after_user_id = self.progress.after_user_id
            job.scanned, job.added, job.removed = self.progress.scanned, self.progress.added, self.progress.removed
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(job)


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
