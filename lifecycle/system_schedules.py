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
    ScheduleUpdate,
)

from core.config import Settings
from domain.events.payloads import SWEEP_STRANDED_EVENTS_WORKFLOW, PendingEventsInput
from domain.lists.payloads import REFRESH_TIME_BASED_LISTS_WORKFLOW, RefreshInput
from domain.schedules.payloads import FIRE_DUE_SCHEDULES_WORKFLOW, Tick

STRANDED_EVENTS_SCHEDULE = "tempogram/sweep-stranded-events"
FIRE_SCHEDULES_SCHEDULE = "tempogram/fire-due-schedules"
TIME_BASED_LISTS_SCHEDULE = "tempogram/refresh-time-based-lists"


async def ensure_system_schedules(client: Client, settings: Settings) -> None:
    """Every minute: restart stranded system events; start the refreshes of time-based lists that are due.
    Missed runs are not caught up (each run covers everything due), so an outage costs no backlog.
    Every few seconds: fire the due schedules."""
    every_minute = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=1))])
    policy = SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(minutes=2))
    actions = {
        STRANDED_EVENTS_SCHEDULE: ScheduleActionStartWorkflow(
            SWEEP_STRANDED_EVENTS_WORKFLOW,
            PendingEventsInput(grace_seconds=settings.stranded_event_grace_seconds),
            id="sweep/stranded-events",
            task_queue=settings.temporal_task_queue,
        ),
        TIME_BASED_LISTS_SCHEDULE: ScheduleActionStartWorkflow(
            REFRESH_TIME_BASED_LISTS_WORKFLOW,
            RefreshInput(as_of="", max_interval_seconds=settings.list_refresh_max_interval_seconds),
            id="lists/refresh-time-based",
            task_queue=settings.temporal_task_queue,
        ),
    }
    for schedule_id, action in actions.items():
        await _ensure(client, schedule_id, Schedule(action=action, spec=every_minute, policy=policy))
    await _ensure(client, FIRE_SCHEDULES_SCHEDULE, fire_due_schedules(settings))


def fire_due_schedules(settings: Settings) -> Schedule:
    """The schedule dispatcher's tick. A tick still draining makes the next one skip (SKIP overlap); a
    missed tick is not caught up — the next one fires everything due, late fires included."""
    tick = Tick(
        batch_size=settings.schedule_batch_size,
        lanes=settings.schedule_lanes,
        catch_up_seconds=settings.schedule_catch_up_seconds,
        every_fire_a_workflow=settings.schedule_every_fire_a_workflow,
    )
    return Schedule(
        action=ScheduleActionStartWorkflow(
            FIRE_DUE_SCHEDULES_WORKFLOW, tick, id="schedules/fire-due", task_queue=settings.temporal_task_queue
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=settings.schedule_tick_seconds))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(seconds=10)),
    )


async def _ensure(client: Client, schedule_id: str, schedule: Schedule) -> None:
    """Create the Schedule, or bring an existing one to this definition (settings may have changed)."""
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        update = ScheduleUpdate(schedule=schedule)
        await client.get_schedule_handle(schedule_id).update(lambda _: update)
