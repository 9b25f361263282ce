"""System events: recorded in the unit of work that causes them, dispatched to the pipeline after commit."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.base import utcnow
from domain.events.models import Event
from domain.unit_of_work import UnitOfWork

RESERVED_PREFIXES = ("user.", "organization.", "list.", "link.", "scheduled.")


def is_reserved(name: str) -> bool:
    return name.startswith(RESERVED_PREFIXES)


def emit_system_event(
    work: UnitOfWork,
    project_id: uuid.UUID,
    name: str,
    data: dict[str, Any] | None = None,
    *,
    user_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
) -> Event:
    """Record a system event on the timeline; it enters the pipeline once the unit of work commits."""
    event = system_event(
        project_id, name, data or {}, user_id=user_id, organization_id=organization_id, event_id=event_id
    )
    work.emit(event)
    return event


def system_event(
    project_id: uuid.UUID,
    name: str,
    data: dict[str, Any],
    *,
    user_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> Event:
    """A system event row, not yet dispatched (written by `emit_system_event`, or in bulk by `insert_events`)."""
    return Event(
        id=event_id or uuid.uuid4(),
        project_id=project_id,
        user_id=user_id,
        organization_id=organization_id,
        name=name,
        data=data,
        source="system",
        dispatched=False,
        created_at=at or utcnow(),
    )


_EVENT_COLUMNS = (
    "id",
    "project_id",
    "user_id",
    "organization_id",
    "name",
    "data",
    "source",
    "dispatched",
    "created_at",
)


async def insert_events(session: AsyncSession, events: list[Event]) -> None:
    """Write many system events (bulk fires) as one executemany, compiled once; an id already stored is
    kept as is."""
    if events:
        rows = [{column: getattr(event, column) for column in _EVENT_COLUMNS} for event in events]
        await session.execute(insert(Event).on_conflict_do_nothing(), rows)
