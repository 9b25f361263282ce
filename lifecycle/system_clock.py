"""Tempogram's own periodic work: the worker (re)starts the system clock when it starts."""

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from core.config import Settings
from domain.events.payloads import PendingEventsInput
from domain.schedules.payloads import SYSTEM_CLOCK_ID, SYSTEM_CLOCK_WORKFLOW, SystemClockInput, Tick
from lifecycle.calls import RPC_TIMEOUT, unless_gone

# Temporal Schedules that started a workflow per tick before the system clock: removed where they exist.
RETIRED_SCHEDULES = (
    "tempogram/sweep-stranded-events",
    "tempogram/fire-due-schedules",
    "tempogram/refresh-time-based-lists",
)


def system_clock_input(settings: Settings) -> SystemClockInput:
    return SystemClockInput(
        tick=Tick(
            batch_size=settings.schedule_batch_size,
            lanes=settings.schedule_lanes,
            catch_up_seconds=settings.schedule_catch_up_seconds,
            every_fire_a_workflow=settings.schedule_every_fire_a_workflow,
        ),
        tick_seconds=settings.schedule_tick_seconds,
        sweep=PendingEventsInput(grace_seconds=settings.stranded_event_grace_seconds),
        list_refresh_max_interval_seconds=settings.list_refresh_max_interval_seconds,
    )


async def ensure_system_workflows(client: Client, settings: Settings) -> None:
    """Start the system clock, replacing a running one (so changed settings apply): one workflow for
    all of Tempogram's own periodic work. A tick cut short is repeated by the next: every step of one
    is idempotent."""
    for schedule_id in RETIRED_SCHEDULES:
        await unless_gone(client.get_schedule_handle(schedule_id).delete(rpc_timeout=RPC_TIMEOUT))
    await client.start_workflow(
        SYSTEM_CLOCK_WORKFLOW,
        system_clock_input(settings),
        id=SYSTEM_CLOCK_ID,
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
        static_summary="Tempogram's own periodic work: schedule ticks, sweeps, list refreshes",
        rpc_timeout=RPC_TIMEOUT,
    )
