"""Schedule I/O: fire a batch of due rows, sweep anniversaries, re-plan a definition's assignments."""

import uuid
from datetime import UTC, datetime, timedelta

from temporalio import activity

from core.db import SessionFactory
from domain.paging import user_id_pages
from domain.schedules.anniversary import fire_anniversaries
from domain.schedules.firing import fire_due
from domain.schedules.models import ScheduleAssignment, ScheduleDefinition
from domain.schedules.pipeline import (
    AnniversaryInput,
    AnniversaryResult,
    FireBatchInput,
    FireBatchResult,
    ReplanInput,
)
from domain.schedules.service import replan_assignments
from workflows.starters import EventStarter


def _clock(as_of: str) -> datetime:
    return datetime.fromisoformat(as_of) if as_of else datetime.now(UTC)


class ScheduleActivities:
    def __init__(self, sessions: SessionFactory, starter: EventStarter) -> None:
        self.sessions = sessions
        self.starter = starter

    @activity.defn
    async def fire_due_schedules(self, job: FireBatchInput) -> FireBatchResult:
        """Write the events of up to `batch_size` due fires and move their rows on, in one transaction;
        then start the pipeline for those something listens for. Idempotent: a claimed row is moved in
        the same commit that writes its event, and event ids derive from the fire."""
        async with self.sessions() as session:
            batch = await fire_due(
                session,
                _clock(job.as_of),
                job.batch_size,
                timedelta(seconds=job.catch_up_seconds),
                every_fire_a_workflow=job.every_fire_a_workflow,
            )
            await self.starter.settle(session, batch.events, batch.heard)
            await session.commit()
        await self.starter.dispatch_or_leave_to_sweeper(batch.heard)
        return FireBatchResult(claimed=batch.claimed, fired=len(batch.events), skipped=batch.skipped)

    @activity.defn
    async def fire_anniversaries(self, job: AnniversaryInput) -> AnniversaryResult:
        """Write the `scheduled.anniversary` events of the next stretch of time (at most six hours) and
        move the sweep's cursor, in one transaction; idempotent (event ids derive from entity and year)."""
        now = _clock(job.as_of)
        async with self.sessions() as session:
            swept = await fire_anniversaries(session, now, timedelta(seconds=job.catch_up_seconds))
            if swept is not None:
                await self.starter.settle(session, swept.events, swept.heard)
            await session.commit()
        if swept is None:
            return AnniversaryResult(fired=0, caught_up=True)
        await self.starter.dispatch_or_leave_to_sweeper(swept.heard)
        return AnniversaryResult(fired=len(swept.events), caught_up=swept.position >= now)

    @activity.defn
    async def replan_schedule(self, job: ReplanInput) -> int:
        """After a definition's offsets changed: give every assignment the fires of its current offsets."""
        definition_id = uuid.UUID(job.definition_id)
        condition = ScheduleAssignment.definition_id == definition_id
        replanned = 0
        async for session, ids in user_id_pages(self.sessions, ScheduleAssignment.id, condition, size=500):
            definition = await session.get(ScheduleDefinition, definition_id)
            if definition is None:
                return replanned
            await replan_assignments(session, definition, ids, _clock(job.as_of))
            await session.commit()
            replanned += len(ids)
            activity.heartbeat(replanned)
        return replanned
