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

from activities.events import PendingEventsInput
from core.config import Settings
from domain.lists.pipeline import RefreshInput
from workflows.list_recompute import RefreshTimeBasedLists
from workflows.sweep_stranded_events import SweepStrandedEvents

STRANDED_EVENTS_SCHEDULE = "tempogram/sweep-stranded-events"
TIME_BASED_LISTS_SCHEDULE = "tempogram/refresh-time-based-lists"


async def ensure_system_schedules(client: Client, settings: Settings) -> None:
    """Every minute: restart stranded system events; start the refreshes of time-based lists that are due.
    Missed runs are not caught up (each run covers everything due), so an outage costs no backlog."""
    every_minute = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=1))])
    policy = SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(minutes=2))
    actions = {
        STRANDED_EVENTS_SCHEDULE: ScheduleActionStartWorkflow(
            SweepStrandedEvents.run,
            PendingEventsInput(grace_seconds=settings.stranded_event_grace_seconds),
            id="sweep/stranded-events",
            task_queue=settings.temporal_task_queue,
        ),
        TIME_BASED_LISTS_SCHEDULE: ScheduleActionStartWorkflow(
            RefreshTimeBasedLists.run,
            RefreshInput(as_of="", max_interval_seconds=settings.list_refresh_max_interval_seconds),
            id="lists/refresh-time-based",
            task_queue=settings.temporal_task_queue,
        ),
    }
    for schedule_id, action in actions.items():
        try:
            await client.create_schedule(schedule_id, Schedule(action=action, spec=every_minute, policy=policy))
        except ScheduleAlreadyRunningError:
            pass
