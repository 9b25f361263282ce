"""Safety net run by a Temporal Schedule: start the pipeline for system events, and the journey runs,
whose start was lost after their transaction committed."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.events import EventActivities, PendingEventsInput
    from activities.journeys import JourneyActivities, PendingRunsInput


@workflow.defn
class SweepStrandedEvents:
    @workflow.run
    async def run(self, sweep: PendingEventsInput) -> int:
        dispatched = await workflow.execute_activity_method(
            EventActivities.dispatch_pending_events, sweep, start_to_close_timeout=timedelta(minutes=5)
        )
        if workflow.patched("sweep-journey-runs"):
            await workflow.execute_activity_method(
                JourneyActivities.start_pending_runs,
                PendingRunsInput(grace_seconds=sweep.grace_seconds, limit=sweep.limit),
                start_to_close_timeout=timedelta(minutes=5),
            )
        return dispatched
