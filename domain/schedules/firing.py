"""Fire what is due: claim a batch of due rows, write their `scheduled.<name>` events and move each row
to its next fire — in one transaction, so a fire is written exactly once even if the dispatcher dies."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.events.models import Event
from domain.events.service import insert_events, system_event
from domain.listening import heard_events
from domain.schedules.definitions import event_name
from domain.schedules.models import ScheduleAssignment, ScheduleDefinition, ScheduleFire
from domain.schedules.planning import PlannedFire, fire_event_id, next_fire, offsets_of
from domain.schedules.recurrence import Offset
from domain.schedules.service import timing_of


@dataclass
class FiredBatch:
    """The events written (not yet committed) and how many rows were claimed."""

    events: list[Event] = field(default_factory=list)
    # The events a list, journey or run listens for: they need the per-event workflow.
    heard: list[Event] = field(default_factory=list)
    claimed: int = 0
    # Fires missed by more than the catch-up window (an outage): skipped, not sent late.
    skipped: int = 0


async def fire_due(
    session: AsyncSession, now: datetime, limit: int, catch_up: timedelta, *, every_fire_a_workflow: bool = False
) -> FiredBatch:
    """Claim up to `limit` due rows no other dispatcher holds (SKIP LOCKED), write their events,
    advance recurring rows, drop finished ones. The caller commits, then dispatches the events that need
    the per-event workflow: those something listens for, or all with `every_fire_a_workflow`."""
    rows = list(
        await session.execute(
            select(ScheduleFire, ScheduleAssignment)
            .join(ScheduleAssignment, ScheduleAssignment.id == ScheduleFire.assignment_id)
            .where(ScheduleFire.fire_at <= now)
            .order_by(ScheduleFire.fire_at)
            .limit(limit)
            .with_for_update(of=ScheduleFire, skip_locked=True)
        )
    )
    definitions = await _definitions(session, {assignment.definition_id for _, assignment in rows})
    batch = FiredBatch()
    advanced: list[tuple[uuid.UUID, PlannedFire]] = []
    finished: list[tuple[uuid.UUID, uuid.UUID]] = []
    touched: set[uuid.UUID] = set()
    for fire, assignment in rows:
        batch.claimed += 1
        touched.add(assignment.id)
        name, offsets = definitions[assignment.definition_id]
        offset = offsets.get(fire.offset_id)
        if offset is None:  # the offset was removed from the definition
            finished.append((fire.assignment_id, fire.offset_id))
            continue
        timing = timing_of(assignment)
        due: PlannedFire | None = PlannedFire(fire.offset_id, fire.occurrence, fire.base_at, fire.fire_at)
        while due is not None and due.fire_at <= now:  # after an outage, later occurrences may be due too
            if due.fire_at >= now - catch_up:
                batch.events.append(_event(due, assignment, name, str(offset), now))
            else:
                batch.skipped += 1
            due = next_fire(timing, fire.offset_id, offset, due.occurrence + 1, now - catch_up)
        if due is None:
            finished.append((fire.assignment_id, fire.offset_id))
        else:
            advanced.append((fire.assignment_id, due))
    session.expunge_all()
    if batch.events:
        batch.heard = list(batch.events) if every_fire_a_workflow else await heard_events(session, batch.events)
        await insert_events(session, batch.events)
    if advanced:
        await _move(session, advanced)
    if finished:
        await session.execute(
            delete(ScheduleFire).where(tuple_(ScheduleFire.assignment_id, ScheduleFire.offset_id).in_(finished))
        )
        await _settle_finished(session, touched)
    return batch


async def _definitions(
    session: AsyncSession, ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, dict[uuid.UUID, Offset]]]:
    """Name and parsed offsets of each definition in the batch, read once."""
    found = await session.execute(
        select(ScheduleDefinition.id, ScheduleDefinition.name, ScheduleDefinition.offsets).where(
            ScheduleDefinition.id.in_(ids)
        )
    )
    return {row.id: (row.name, offsets_of(row.offsets)) for row in found}


# One statement for the whole batch, its rows as five arrays: compiled once, whatever the batch size.
_MOVE = text(
    "UPDATE schedule_fires AS f SET occurrence = m.occurrence, base_at = m.base_at, fire_at = m.fire_at "
    "FROM unnest(CAST(:assignment_ids AS uuid[]), CAST(:offset_ids AS uuid[]), CAST(:occurrences AS integer[]), "
    "CAST(:base_ats AS timestamptz[]), CAST(:fire_ats AS timestamptz[])) "
    "AS m(assignment_id, offset_id, occurrence, base_at, fire_at) "
    "WHERE f.assignment_id = m.assignment_id AND f.offset_id = m.offset_id"
)


async def _move(session: AsyncSession, moves: list[tuple[uuid.UUID, PlannedFire]]) -> None:
    """Move each assignment's row of that offset to its next fire."""
    await session.execute(
        _MOVE,
        {
            "assignment_ids": [assignment_id for assignment_id, _ in moves],
            "offset_ids": [fire.offset_id for _, fire in moves],
            "occurrences": [fire.occurrence for _, fire in moves],
            "base_ats": [fire.base_at for _, fire in moves],
            "fire_ats": [fire.fire_at for _, fire in moves],
        },
    )


async def _settle_finished(session: AsyncSession, assignment_ids: set[uuid.UUID]) -> None:
    """A single schedule with nothing left to fire is gone; a pausing one with nothing left is paused."""
    nothing_left = ~exists().where(ScheduleFire.assignment_id == ScheduleAssignment.id)
    await session.execute(
        delete(ScheduleAssignment).where(
            ScheduleAssignment.id.in_(assignment_ids), ScheduleAssignment.interval.is_(None), nothing_left
        )
    )
    await session.execute(
        update(ScheduleAssignment)
        .where(ScheduleAssignment.id.in_(assignment_ids), ScheduleAssignment.status == "pausing", nothing_left)
        .values(status="paused", pause_from=None)
    )


def _event(fire: PlannedFire, assignment: ScheduleAssignment, name: str, offset: str, now: datetime) -> Event:
    data = {
        **assignment.data,
        "schedule_id": str(assignment.id),
        "schedule_offset_id": str(fire.offset_id),
        "offset": offset,
        "fire_at": fire.fire_at.isoformat(),
    }
    return system_event(
        assignment.project_id,
        event_name(name),
        data,
        user_id=assignment.user_id,
        organization_id=assignment.organization_id,
        event_id=fire_event_id(assignment.id, fire.offset_id, fire.base_at),
        at=now,
    )
