"""Safety net run every minute by the system clock: start the pipeline for system events, and the journey runs,
whose start was lost after their transaction committed."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.events import EventActivities
    from activities.journeys import JourneyActivities
    from domain.events.payloads import SWEEP_STRANDED_EVENTS_WORKFLOW, PendingEventsInput
    from domain.journeys.payloads import PendingRunsInput
    from workflows.policies import PAGE


async def sweep_stranded(sweep: PendingEventsInput) -> int:
    """Nearly every sweep finds nothing: local activities make it no workflow task of its own (a periodic
    job's tasks slow the events running beside it)."""
    dispatched = await workflow.execute_local_activity_method(
        EventActivities.dispatch_pending_events, sweep, start_to_close_timeout=PAGE
    )
    await workflow.execute_local_activity_method(
        JourneyActivities.start_pending_runs,
        PendingRunsInput(grace_seconds=sweep.grace_seconds, limit=sweep.limit),
        start_to_close_timeout=PAGE,
    )
    return dispatched


@workflow.defn(name=SWEEP_STRANDED_EVENTS_WORKFLOW)
class SweepStrandedEvents:
    """One sweep on its own (tests, by hand); the system clock sweeps every minute."""

    @workflow.run
    async def run(self, sweep: PendingEventsInput) -> int:
        return await sweep_stranded(sweep)
