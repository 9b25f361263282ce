"""Safety net run by a Temporal Schedule: start the pipeline for system events that missed it."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.events import EventActivities, PendingEventsInput


@workflow.defn
class SweepStrandedEvents:
    @workflow.run
    async def run(self, sweep: PendingEventsInput) -> int:
        return await workflow.execute_activity_method(
            EventActivities.dispatch_pending_events, sweep, start_to_close_timeout=timedelta(minutes=5)
        )
