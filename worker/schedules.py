"""Temporal Schedules the worker makes sure exist (idempotently) when it starts."""

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from activities.events import SweepInput
from workflows.sweep_stranded_events import SweepStrandedEvents

STRANDED_EVENTS_SCHEDULE = "tempogram/sweep-stranded-events"


async def ensure_system_schedules(client: Client, task_queue: str, grace_seconds: int) -> None:
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            SweepStrandedEvents.run,
            SweepInput(grace_seconds=grace_seconds),
            id="sweep/stranded-events",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=1))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(minutes=2)),
    )
    try:
        await client.create_schedule(STRANDED_EVENTS_SCHEDULE, schedule)
    except ScheduleAlreadyRunningError:
        pass
