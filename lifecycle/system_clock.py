"""Tempogram's own periodic work: the worker (re)starts the system clock when it starts."""

import hashlib

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from core.config import Settings
from domain.events.payloads import PendingEventsInput
from domain.schedules.payloads import SYSTEM_CLOCK_ID, SYSTEM_CLOCK_WORKFLOW, SystemClockInput, Tick
from lifecycle.calls import RPC_TIMEOUT, unless_gone

# The clock's memo: which settings and task queue it was started with.
FINGERPRINT = "settings"
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
    """Start the system clock: one workflow for all of Tempogram's own periodic work. A running clock
    started with the same settings and task queue is kept (workers starting side by side leave it be);
    one with other settings is replaced, so changed settings apply. A tick cut short is repeated by the
    next: every step of one is idempotent."""
    for schedule_id in RETIRED_SCHEDULES:
        await unless_gone(client.get_schedule_handle(schedule_id).delete(rpc_timeout=RPC_TIMEOUT))
    wanted = system_clock_input(settings)
    fingerprint = hashlib.sha256(repr((settings.temporal_task_queue, wanted)).encode()).hexdigest()[:16]
    same = await _running_fingerprint(client) == fingerprint
    await client.start_workflow(
        SYSTEM_CLOCK_WORKFLOW,
        wanted,
        id=SYSTEM_CLOCK_ID,
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING
        if same
        else WorkflowIDConflictPolicy.TERMINATE_EXISTING,
        memo={FINGERPRINT: fingerprint},
        static_summary="Tempogram's own periodic work: schedule ticks, sweeps, list refreshes",
        rpc_timeout=RPC_TIMEOUT,
    )


async def _running_fingerprint(client: Client) -> str | None:
    try:
        described = await client.get_workflow_handle(SYSTEM_CLOCK_ID).describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    if described.status != WorkflowExecutionStatus.RUNNING:
        return None
    found: str | None = await described.memo_value(FINGERPRINT, default=None)
    return found
