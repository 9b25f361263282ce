"""A broadcast: wait for its moment, take the list's members as the audience, then send wave by wave
(one wave at `send_at`, or one per timezone at its local time), a batch of recipients at a time."""

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.broadcasts import BroadcastActivities
    from domain.broadcasts.payloads import (
        BROADCAST_WORKFLOW,
        BroadcastBatch,
        BroadcastInput,
        BroadcastProgress,
        Wave,
    )
    from workflows.policies import DATABASE_RETRY, LONG_PAGE, STEP

# A batch sends up to 200 messages: minutes even with a slow provider.


@workflow.defn(name=BROADCAST_WORKFLOW)
class SendBroadcast:
    def __init__(self) -> None:
        self._progress = BroadcastProgress()

    @workflow.query
    def progress(self) -> BroadcastProgress:
        return self._progress

    @workflow.run
    async def run(self, job: BroadcastInput) -> BroadcastProgress:
        if job.starts_at:
            workflow.set_current_details(f"scheduled: the audience is taken at {job.starts_at}")
            await self._sleep_until(datetime.fromisoformat(job.starts_at))
        waves: list[Wave] = await workflow.execute_activity_method(
            BroadcastActivities.take_broadcast_audience,
            job.broadcast_id,
            start_to_close_timeout=LONG_PAGE,
            retry_policy=DATABASE_RETRY,
        )
        self._progress.waves = len(waves)
        for wave in waves:
            where = f"the recipients in {wave.timezone}" if wave.timezone else "every recipient"
            workflow.set_current_details(f"waiting to send to {where} at {wave.send_at}")
            await self._sleep_until(datetime.fromisoformat(wave.send_at))
            workflow.set_current_details(f"sending to {where}")
            await self._send(job, wave)
            self._progress.waves_done += 1
        await workflow.execute_activity_method(
            BroadcastActivities.finish_broadcast,
            job.broadcast_id,
            start_to_close_timeout=STEP,
            retry_policy=DATABASE_RETRY,
        )
        workflow.set_current_details("completed")
        return self._progress

    async def _send(self, job: BroadcastInput, wave: Wave) -> None:
        while True:
            batch = await workflow.execute_activity_method(
                BroadcastActivities.send_broadcast_batch,
                BroadcastBatch(job.broadcast_id, wave.timezone),
                start_to_close_timeout=LONG_PAGE,
                retry_policy=DATABASE_RETRY,
            )
            self._progress.add(batch)
            if batch.done:
                return
            if workflow.info().is_continue_as_new_suggested():
                # Taking the audience again returns only the waves with recipients left.
                workflow.continue_as_new(BroadcastInput(job.project_id, job.broadcast_id))

    async def _sleep_until(self, moment: datetime) -> None:
        while (remaining := moment - workflow.now()) > timedelta(0):
            await workflow.sleep(remaining)
