"""Schedule definitions and assignments: upsert, delete, pause, resume, and what fires next."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid, NotFound
from domain.base import utcnow
from domain.identifiers import unique_keys
from domain.organizations.models import Organization
from domain.organizations.service import find_organization
from domain.schedules.anniversary import next_anniversary
from domain.schedules.definitions import ensure_definition, get_definition
from domain.schedules.models import ScheduleAssignment, ScheduleDefinition, ScheduleFire
from domain.schedules.planning import PlannedFire, Timing, anchor_for, offsets_of, plan
from domain.schedules.recurrence import ZERO_OFFSET
from domain.schedules.schemas import (
    Entity,
    FireOut,
    ScheduleOut,
    ScheduleRef,
    ScheduleUpsert,
)
from domain.users.models import User
from domain.users.service import find_user

# A `scheduled_at` this far in the past is clock skew: it fires at once rather than being dropped.
PAST_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class Owner:
    entity: Entity
    id: uuid.UUID
    timezone: str | None = None

    def columns(self) -> dict[str, uuid.UUID | None]:
        return {
            "user_id": self.id if self.entity == "user" else None,
            "organization_id": self.id if self.entity == "organization" else None,
        }


async def find_owner(session: AsyncSession, project_id: uuid.UUID, entity: Entity, ref: ScheduleRef) -> Owner:
    keys = unique_keys(ref.identifier)
    if entity == "user":
        user = await find_user(session, project_id, keys)
        return Owner("user", user.id, user.timezone)
    organization = await find_organization(session, project_id, keys)
    return Owner("organization", organization.id)


async def upsert_assignment(
    session: AsyncSession, project_id: uuid.UUID, entity: Entity, body: ScheduleUpsert, now: datetime | None = None
) -> ScheduleOut:
    """Create the owner's schedule `name`, or replace its timing and data; plan its next fires."""
    now = now or utcnow()
    if body.interval is None and body.scheduled_at is not None and body.scheduled_at < now - PAST_GRACE:
        raise Invalid(
            f"scheduled_at: {body.scheduled_at.isoformat()} is past; a single schedule must be due from now on"
        )
    owner = await find_owner(session, project_id, entity, body)
    definition = await ensure_definition(session, project_id, entity, body.name)
    values = {
        "scheduled_at": body.scheduled_at,
        "interval": body.interval,
        "start_at": body.start_at,
        "anchor_at": anchor_for(body.scheduled_at, body.interval, body.start_at, now),
        "timezone": owner.timezone,
        "data": body.data,
        "status": "active",
        "pause_from": None,
        "updated_at": now,
    }
    statement = insert(ScheduleAssignment).values(
        id=uuid.uuid4(), project_id=project_id, definition_id=definition.id, **owner.columns(), **values
    )
    assignment = await session.scalar(
        statement.on_conflict_do_update(constraint="uq_schedule_assignments_definition_id", set_=values).returning(
            ScheduleAssignment
        ),
        execution_options={"populate_existing": True},
    )
    assert assignment is not None
    await replan(session, assignment, definition, now - PAST_GRACE)
    return await describe(session, assignment, definition)


async def replan(
    session: AsyncSession, assignment: ScheduleAssignment, definition: ScheduleDefinition, not_before: datetime
) -> None:
    """Replace the assignment's pending fires with the next fire of each offset after `not_before`."""
    await session.execute(delete(ScheduleFire).where(ScheduleFire.assignment_id == assignment.id))
    if assignment.status == "paused":
        return
    fires = plan(timing_of(assignment), offsets_of(definition.offsets), not_before)
    if fires:
        await session.execute(insert(ScheduleFire).values([_fire_row(assignment.id, fire) for fire in fires]))


def _fire_row(assignment_id: uuid.UUID, fire: PlannedFire) -> dict[str, object]:
    return {
        "assignment_id": assignment_id,
        "offset_id": fire.offset_id,
        "occurrence": fire.occurrence,
        "base_at": fire.base_at,
        "fire_at": fire.fire_at,
    }


def timing_of(assignment: ScheduleAssignment) -> Timing:
    return Timing(
        scheduled_at=assignment.scheduled_at,
        interval=assignment.interval,
        start_at=assignment.start_at,
        anchor_at=assignment.anchor_at,
        timezone=assignment.timezone,
        pause_from=assignment.pause_from,
    )


async def describe(
    session: AsyncSession, assignment: ScheduleAssignment, definition: ScheduleDefinition
) -> ScheduleOut:
    offsets = offsets_of(definition.offsets)
    rows = await session.scalars(
        select(ScheduleFire).where(ScheduleFire.assignment_id == assignment.id).order_by(ScheduleFire.fire_at)
    )
    fires = [FireOut(offset_id=f.offset_id, offset=str(offsets[f.offset_id]), fire_at=f.fire_at) for f in rows]
    zero = [f.fire_at for f in fires if offsets[f.offset_id].delta == timedelta(0)]
    return ScheduleOut(
        id=assignment.id,
        name=definition.name,
        scheduled_at=zero[0] if zero else (fires[0].fire_at if fires else None),
        interval=assignment.interval,
        start_at=assignment.start_at,
        data=assignment.data,
        status=assignment.status,
        fires=fires,
    )


async def delete_assignment(session: AsyncSession, project_id: uuid.UUID, entity: Entity, ref: ScheduleRef) -> None:
    """Stop it at once: its pending fires go with it."""
    assignment, _ = await find_assignment(session, project_id, entity, ref)
    await session.delete(assignment)


async def find_assignment(
    session: AsyncSession, project_id: uuid.UUID, entity: Entity, ref: ScheduleRef
) -> tuple[ScheduleAssignment, ScheduleDefinition]:
    owner = await find_owner(session, project_id, entity, ref)
    return await owner_assignment(session, project_id, owner, ref.name)


async def owner_assignment(
    session: AsyncSession, project_id: uuid.UUID, owner: Owner, name: str
) -> tuple[ScheduleAssignment, ScheduleDefinition]:
    definition = await get_definition(session, project_id, owner.entity, name)
    column = ScheduleAssignment.user_id if owner.entity == "user" else ScheduleAssignment.organization_id
    assignment = await session.scalar(
        select(ScheduleAssignment)
        .where(ScheduleAssignment.definition_id == definition.id, column == owner.id)
        .with_for_update()
    )
    if assignment is None:
        raise NotFound(f"{owner.entity} {owner.id} has no schedule named {name!r}")
    return assignment, definition


async def owner_schedules(session: AsyncSession, project_id: uuid.UUID, owner: Owner) -> list[ScheduleOut]:
    """Every schedule of the owner with its next fires; the built-in anniversary first."""
    column = ScheduleAssignment.user_id if owner.entity == "user" else ScheduleAssignment.organization_id
    rows = await session.execute(
        select(ScheduleAssignment, ScheduleDefinition)
        .join(ScheduleDefinition, ScheduleDefinition.id == ScheduleAssignment.definition_id)
        .where(ScheduleAssignment.project_id == project_id, column == owner.id)
        .order_by(ScheduleDefinition.name)
    )
    schedules = [await describe(session, assignment, definition) for assignment, definition in rows]
    return [await _anniversary(session, owner), *schedules]


async def _anniversary(session: AsyncSession, owner: Owner) -> ScheduleOut:
    table = User if owner.entity == "user" else Organization
    created_at = await session.scalar(select(table.created_at).where(table.id == owner.id))
    assert created_at is not None
    next_at = next_anniversary(created_at, utcnow())
    return ScheduleOut(
        id=uuid.uuid5(owner.id, "anniversary"),
        name="anniversary",
        scheduled_at=next_at,
        interval="1 year",
        start_at=None,
        data={},
        fires=[FireOut(offset_id=uuid.UUID(int=0), offset=str(ZERO_OFFSET), fire_at=next_at)],
    )


async def pause(
    session: AsyncSession, project_id: uuid.UUID, owner: Owner, name: str, mode: str, now: datetime | None = None
) -> ScheduleOut:
    """`immediately`: nothing more fires. `after_next_interval`: the next occurrence still fires, then none."""
    now = now or utcnow()
    assignment, definition = await owner_assignment(session, project_id, owner, name)
    if assignment.interval is None:
        raise Invalid("mode: only recurring schedules (with an interval) pause; delete a single one instead")
    fires = delete(ScheduleFire).where(ScheduleFire.assignment_id == assignment.id)
    upcoming = await session.scalar(
        select(func.min(ScheduleFire.occurrence)).where(ScheduleFire.assignment_id == assignment.id)
    )
    if mode == "immediately" or upcoming is None:
        assignment.status, assignment.pause_from = "paused", None
    else:
        assignment.status = "pausing"
        assignment.pause_from = timing_of(assignment).base(upcoming + 1)
        fires = fires.where(ScheduleFire.base_at >= assignment.pause_from)
    assignment.updated_at = now
    await session.execute(fires)
    return await describe(session, assignment, definition)


async def resume(
    session: AsyncSession, project_id: uuid.UUID, owner: Owner, name: str, mode: str, now: datetime | None = None
) -> ScheduleOut:
    """`immediately`: fire now and recur from now. `at_next_interval`: keep the original rhythm,
    from its next occurrence (what fell in the pause is not caught up)."""
    now = now or utcnow()
    assignment, definition = await owner_assignment(session, project_id, owner, name)
    if assignment.interval is None:
        raise Invalid("mode: only recurring schedules (with an interval) pause and resume")
    assignment.status = "active"
    assignment.pause_from = None
    assignment.updated_at = now
    if mode == "immediately":
        assignment.anchor_at = now
        assignment.start_at = None
    await replan(session, assignment, definition, now)
    return await describe(session, assignment, definition)


async def replan_assignments(
    session: AsyncSession, definition: ScheduleDefinition, assignment_ids: list[uuid.UUID], now: datetime
) -> None:
    """Align these assignments' pending fires with the definition's offsets: fires of removed offsets
    go; each new offset gets its next fire from now on. Fires of unchanged offsets stay as they are."""
    offsets = offsets_of(definition.offsets)
    await session.execute(
        delete(ScheduleFire).where(
            ScheduleFire.assignment_id.in_(assignment_ids), ScheduleFire.offset_id.not_in(list(offsets))
        )
    )
    present = set(
        await session.execute(
            select(ScheduleFire.assignment_id, ScheduleFire.offset_id).where(
                ScheduleFire.assignment_id.in_(assignment_ids)
            )
        )
    )
    assignments = await session.scalars(
        select(ScheduleAssignment).where(
            ScheduleAssignment.id.in_(assignment_ids), ScheduleAssignment.status != "paused"
        )
    )
    rows: list[dict[str, object]] = []
    for assignment in assignments:
        missing = {i: o for i, o in offsets.items() if (assignment.id, i) not in present}
        rows.extend(_fire_row(assignment.id, fire) for fire in plan(timing_of(assignment), missing, now))
    if rows:
        await session.execute(insert(ScheduleFire).values(rows).on_conflict_do_nothing())
