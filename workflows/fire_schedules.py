"""The schedule dispatcher. A Temporal Schedule starts `FireDueSchedules` every few seconds; it claims
a first batch of due rows from PostgreSQL and, when that batch is full, goes on batch by batch, several
lanes side by side, until none is left; then it sweeps the anniversaries. Each fire is a
`scheduled.<name>` event in the ordinary pipeline."""

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.schedules import ScheduleActivities
    from domain.schedules.pipeline import (
        FIRE_DUE_SCHEDULES_WORKFLOW,
        REPLAN_SCHEDULE_WORKFLOW,
        AnniversaryInput,
        AnniversaryResult,
        FireBatchInput,
        ReplanInput,
        Tick,
        TickResult,
    )

BATCH_TIMEOUT = timedelta(minutes=2)
RETRY = RetryPolicy(maximum_interval=timedelta(seconds=10))


@workflow.defn(name=FIRE_DUE_SCHEDULES_WORKFLOW)
class FireDueSchedules:
    @workflow.run
    async def run(self, tick: Tick) -> TickResult:
        result = TickResult()
        batch = FireBatchInput(tick.as_of, tick.batch_size, tick.catch_up_seconds, tick.every_fire_a_workflow)
        # Most ticks find little or nothing due: a first batch and the anniversary sweep as local activities
        # keep such a tick to one workflow task (measured: the tick every five seconds was what made the
        # slowest of the events around it slower). A full first batch means a backlog: lanes side by side.
        quiet = workflow.patched("quiet-tick-as-local-activities")
        backlog = True  # ticks begun before the patch went straight to the lanes
        if quiet:
            first = await workflow.execute_local_activity_method(
                ScheduleActivities.fire_due_schedules, batch, start_to_close_timeout=BATCH_TIMEOUT, retry_policy=RETRY
            )
            result.fired, result.skipped = first.fired, first.skipped
            backlog = first.claimed >= tick.batch_size
        if backlog:
            await self._fire_in_lanes(tick, batch, result)
        while True:
            swept = await self._sweep_anniversaries(AnniversaryInput(tick.as_of, tick.catch_up_seconds), locally=quiet)
            result.anniversaries += swept.fired
            if swept.caught_up:
                return result

    async def _sweep_anniversaries(self, job: AnniversaryInput, *, locally: bool) -> AnniversaryResult:
        if locally:
            return await workflow.execute_local_activity_method(
                ScheduleActivities.fire_anniversaries, job, start_to_close_timeout=BATCH_TIMEOUT, retry_policy=RETRY
            )
        return await workflow.execute_activity_method(
            ScheduleActivities.fire_anniversaries, job, start_to_close_timeout=BATCH_TIMEOUT, retry_policy=RETRY
        )

    async def _fire_in_lanes(self, tick: Tick, batch: FireBatchInput, result: TickResult) -> None:
        """Batches claimed side by side, until a round leaves every lane short of a full batch."""
        while True:
            lanes = await asyncio.gather(
                *(
                    workflow.execute_activity_method(
                        ScheduleActivities.fire_due_schedules,
                        batch,
                        start_to_close_timeout=BATCH_TIMEOUT,
                        retry_policy=RETRY,
                    )
                    for _ in range(tick.lanes)
                )
            )
            result.fired += sum(lane.fired for lane in lanes)
            result.skipped += sum(lane.skipped for lane in lanes)
            if all(lane.claimed < tick.batch_size for lane in lanes):
                return
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(tick)


@workflow.defn(name=REPLAN_SCHEDULE_WORKFLOW)
class ReplanSchedule:
    """`schedule/<definition_id>/replan`: after an offset edit, every assignment gets its new fires."""

    @workflow.run
    async def run(self, job: ReplanInput) -> int:
        return await workflow.execute_activity_method(
            ScheduleActivities.replan_schedule,
            job,
            start_to_close_timeout=timedelta(hours=2),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
        )
