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
        if workflow.patched("sweep-as-local-activities"):
            # Nearly every sweep finds nothing: one workflow task instead of three with two activity tasks
            # (a periodic job's tasks slow the events running beside it).
            dispatched = await workflow.execute_local_activity_method(
                EventActivities.dispatch_pending_events, sweep, start_to_close_timeout=timedelta(minutes=5)
            )
            await workflow.execute_local_activity_method(
                JourneyActivities.start_pending_runs,
                PendingRunsInput(grace_seconds=sweep.grace_seconds, limit=sweep.limit),
                start_to_close_timeout=timedelta(minutes=5),
            )
            return dispatched
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
