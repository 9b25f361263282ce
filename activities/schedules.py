"""Schedule I/O: fire a batch of due rows, sweep anniversaries, re-plan a definition's assignments."""

import uuid
from datetime import UTC, datetime, timedelta

from temporalio import activity

from domain.paging import id_pages
from domain.schedules.anniversary import fire_anniversaries
from domain.schedules.firing import fire_due
from domain.schedules.models import ScheduleAssignment, ScheduleDefinition
from domain.schedules.payloads import (
    AnniversaryInput,
    AnniversaryResult,
    FireBatchInput,
    FireBatchResult,
    ReplanInput,
)
from domain.schedules.service import replan_assignments
from lifecycle.unit_of_work import Dispatch


def _clock(as_of: str) -> datetime:
    return datetime.fromisoformat(as_of) if as_of else datetime.now(UTC)


class ScheduleActivities:
    def __init__(self, dispatch: Dispatch) -> None:
        self.dispatch = dispatch
        self.sessions = dispatch.sessions

    @activity.defn
    async def fire_due_schedules(self, job: FireBatchInput) -> FireBatchResult:
        """Write the events of up to `batch_size` due fires and move their rows on, in one transaction;
        then start the pipeline for those something listens for. Idempotent: a claimed row is moved in
        the same commit that writes its event, and event ids derive from the fire."""
        async with self.dispatch.open() as work:
            session = work.session
            batch = await fire_due(
                session,
                _clock(job.as_of),
                job.batch_size,
                timedelta(seconds=job.catch_up_seconds),
                every_fire_a_workflow=job.every_fire_a_workflow,
            )
            work.add_written(batch.events, batch.heard)
            await work.commit()
        return FireBatchResult(claimed=batch.claimed, fired=len(batch.events), skipped=batch.skipped)

    @activity.defn
    async def fire_anniversaries(self, job: AnniversaryInput) -> AnniversaryResult:
        """Write the `scheduled.anniversary` events of the next stretch of time (at most six hours) and
        move the sweep's cursor, in one transaction; idempotent (event ids derive from entity and year)."""
        now = _clock(job.as_of)
        async with self.dispatch.open() as work:
            session = work.session
            swept = await fire_anniversaries(session, now, timedelta(seconds=job.catch_up_seconds))
            if swept is not None:
                work.add_written(swept.events, swept.heard)
            await work.commit()
        if swept is None:
            return AnniversaryResult(fired=0, caught_up=True)
        return AnniversaryResult(fired=len(swept.events), caught_up=swept.position >= now)

    @activity.defn
    async def replan_schedule(self, job: ReplanInput) -> int:
        """After a definition's offsets changed: give every assignment the fires of its current offsets."""
        definition_id = uuid.UUID(job.definition_id)
        condition = ScheduleAssignment.definition_id == definition_id
        replanned = 0
        async for ids in id_pages(self.sessions, ScheduleAssignment.id, condition, size=500):
            async with self.dispatch.open() as work:
                definition = await work.session.get(ScheduleDefinition, definition_id)
                if definition is None:
                    return replanned
                await replan_assignments(work.session, definition, ids, _clock(job.as_of))
                await work.commit()
            replanned += len(ids)
            activity.heartbeat(replanned)
        return replanned
