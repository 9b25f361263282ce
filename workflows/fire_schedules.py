"""The schedule dispatcher. Every few seconds the system clock runs a tick (`fire_due`): it claims
a first batch of due rows from PostgreSQL and, when that batch is full, goes on batch by batch, several
lanes side by side, until none is left; then it sweeps the anniversaries. Each fire is a
`scheduled.<name>` event in the ordinary pipeline."""

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.schedules import ScheduleActivities
    from domain.schedules.payloads import (
        FIRE_DUE_SCHEDULES_WORKFLOW,
        REPLAN_SCHEDULE_WORKFLOW,
        AnniversaryInput,
        FireBatchInput,
        ReplanInput,
        Tick,
        TickResult,
    )
    from workflows.policies import HEARTBEAT, REPLAN, SCHEDULER_RETRY, WALK


async def fire_due(tick: Tick) -> TickResult:
    """One tick: the due fires, then the anniversaries. Most ticks find little or nothing due: a first
    batch and the anniversary sweep as local activities keep such a tick to one workflow task. A full
    first batch means a backlog: lanes side by side."""
    result = TickResult()
    batch = FireBatchInput(tick.as_of, tick.batch_size, tick.catch_up_seconds, tick.every_fire_a_workflow)
    first = await workflow.execute_local_activity_method(
        ScheduleActivities.fire_due_schedules, batch, start_to_close_timeout=WALK, retry_policy=SCHEDULER_RETRY
    )
    result.fired, result.skipped = first.fired, first.skipped
    if first.claimed >= tick.batch_size:
        await _fire_in_lanes(tick, batch, result)
    while True:
        swept = await workflow.execute_local_activity_method(
            ScheduleActivities.fire_anniversaries,
            AnniversaryInput(tick.as_of, tick.catch_up_seconds),
            start_to_close_timeout=WALK,
            retry_policy=SCHEDULER_RETRY,
        )
        result.anniversaries += swept.fired
        if swept.caught_up:
            return result


async def _fire_in_lanes(tick: Tick, batch: FireBatchInput, result: TickResult) -> None:
    """Batches claimed side by side, until a round leaves every lane short of a full batch."""
    while True:
        lanes = await asyncio.gather(
            *(
                workflow.execute_activity_method(
                    ScheduleActivities.fire_due_schedules,
                    batch,
                    start_to_close_timeout=WALK,
                    retry_policy=SCHEDULER_RETRY,
                )
                for _ in range(tick.lanes)
            )
        )
        result.fired += sum(lane.fired for lane in lanes)
        result.skipped += sum(lane.skipped for lane in lanes)
        if all(lane.claimed < tick.batch_size for lane in lanes):
            return


@workflow.defn(name=FIRE_DUE_SCHEDULES_WORKFLOW)
class FireDueSchedules:
    """One tick on its own (tests, an operator catching up by hand); the system clock runs the ticks."""

    @workflow.run
    async def run(self, tick: Tick) -> TickResult:
        return await fire_due(tick)


@workflow.defn(name=REPLAN_SCHEDULE_WORKFLOW)
class ReplanSchedule:
    """`schedule/<definition_id>/replan`: after an offset edit, every assignment gets its new fires."""

    @workflow.run
    async def run(self, job: ReplanInput) -> int:
        return await workflow.execute_activity_method(
            ScheduleActivities.replan_schedule,
            job,
            start_to_close_timeout=REPLAN,
            heartbeat_timeout=HEARTBEAT,
            retry_policy=SCHEDULER_RETRY,
        )
