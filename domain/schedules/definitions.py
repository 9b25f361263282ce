"""Schedule definitions: a name per entity kind with the offsets each fire of it repeats at."""

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid, NotFound
from domain.base import utcnow
from domain.schedules.models import ScheduleAssignment, ScheduleDefinition
from domain.schedules.recurrence import Offset, parse_offset
from domain.schedules.schemas import DefinitionIn, DefinitionOut, Entity, OffsetIn, OffsetOut


def event_name(name: str) -> str:
    return f"scheduled.{name}"


async def ensure_definition(
    session: AsyncSession, project_id: uuid.UUID, entity: Entity, name: str
) -> ScheduleDefinition:
    """The definition of `name`, created (with the zero offset) on its first use; safe under concurrency.
    Once it exists (every upsert but the first), one read."""
    try:
        return await get_definition(session, project_id, entity, name)
    except NotFound:
        zero = {"id": str(uuid.uuid4()), "interval": "0 minutes", "direction": "after"}
        await session.execute(
            insert(ScheduleDefinition)
            .values(id=uuid.uuid4(), project_id=project_id, entity=entity, name=name, offsets=[zero])
            .on_conflict_do_nothing()
        )
        return await get_definition(session, project_id, entity, name)


async def get_definition(session: AsyncSession, project_id: uuid.UUID, entity: str, name: str) -> ScheduleDefinition:
    found = await session.scalar(
        select(ScheduleDefinition).where(
            ScheduleDefinition.project_id == project_id,
            ScheduleDefinition.entity == entity,
            ScheduleDefinition.name == name,
        )
    )
    if found is None:
        raise NotFound(f"no {entity} schedule named {name!r}")
    return found


async def list_definitions(session: AsyncSession, project_id: uuid.UUID) -> list[tuple[ScheduleDefinition, int]]:
    counts = (
        select(ScheduleAssignment.definition_id, func.count().label("n"))
        .group_by(ScheduleAssignment.definition_id)
        .subquery()
    )
    rows = await session.execute(
        select(ScheduleDefinition, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.definition_id == ScheduleDefinition.id)
        .where(ScheduleDefinition.project_id == project_id)
        .order_by(ScheduleDefinition.entity, ScheduleDefinition.name)
    )
    return [(definition, count) for definition, count in rows]


async def put_definition(
    session: AsyncSession, project_id: uuid.UUID, entity: Entity, name: str, body: DefinitionIn
) -> tuple[ScheduleDefinition, bool]:
    """Set the offsets of `name` (creating the definition). An offset that keeps its interval and
    direction keeps its id. Returns the definition and whether its assignments need re-planning."""
    definition = await ensure_definition(session, project_id, entity, name)
    current = {(o["interval"], o["direction"]): o["id"] for o in definition.offsets}
    offsets = []
    listed: set[tuple[str, str]] = set()
    for item in body.offsets:
        key = (parse_offset(item.interval, item.direction).span, item.direction)
        if key in listed:
            raise Invalid(f"offsets: {item.interval} {item.direction} is listed twice")
        listed.add(key)
        offsets.append({"id": current.get(key, str(uuid.uuid4())), "interval": key[0], "direction": key[1]})
    changed = {o["id"] for o in offsets} != set(current.values())
    definition.offsets = offsets
    definition.updated_at = utcnow()
    return definition, changed


async def ensure_offset(
    session: AsyncSession, project_id: uuid.UUID, entity: Entity, name: str, wanted: Offset
) -> tuple[ScheduleDefinition, bool]:
    """Make sure `name` has this offset (a journey entrance listening before or after the schedule)."""
    definition = await ensure_definition(session, project_id, entity, name)
    if any(parse_offset(o["interval"], o["direction"]).delta == wanted.delta for o in definition.offsets):
        return definition, False
    offsets = [
        *(OffsetIn(interval=o["interval"], direction=o["direction"]) for o in definition.offsets),
        OffsetIn(interval=wanted.span, direction=wanted.direction),
    ]
    return await put_definition(session, project_id, entity, name, DefinitionIn(offsets=offsets))


def definition_out(definition: ScheduleDefinition, assignments: int = 0) -> DefinitionOut:
    return DefinitionOut(
        id=definition.id,
        entity=definition.entity,
        name=definition.name,
        event_name=event_name(definition.name),
        offsets=[OffsetOut.model_validate(o) for o in definition.offsets],
        assignments=assignments,
    )
