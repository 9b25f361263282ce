"""Read side: timelines and the discovered event schema."""

import base64
import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid
from domain.events.models import Event, EventSchemaProperty
from domain.events.schemas import EventSchema, SchemaProperty, TimelineEvent, TimelinePage


def encode_cursor(created_at: datetime, event_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{event_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created_at, event_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(created_at), uuid.UUID(event_id)
    except ValueError:
        raise Invalid("cursor: not a cursor returned by this API") from None


async def timeline(session: AsyncSession, owner: ColumnElement[bool], limit: int, cursor: str | None) -> TimelinePage:
    """Newest first; `owner` selects the user's or the organization's events."""
    query = select(Event).where(owner)
    if cursor is not None:
        query = query.where(tuple_(Event.created_at, Event.id) < decode_cursor(cursor))
    rows = list(
        (await session.scalars(query.order_by(Event.created_at.desc(), Event.id.desc()).limit(limit + 1))).all()
    )
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return TimelinePage(results=[TimelineEvent.model_validate(row) for row in rows[:limit]], next_cursor=next_cursor)


async def event_schema(session: AsyncSession, project_id: uuid.UUID) -> list[EventSchema]:
    rows = await session.execute(
        select(
            EventSchemaProperty.entity,
            EventSchemaProperty.event_name,
            EventSchemaProperty.path,
            EventSchemaProperty.type,
        )
        .where(EventSchemaProperty.project_id == project_id)
        .order_by(EventSchemaProperty.entity, EventSchemaProperty.event_name, EventSchemaProperty.path)
    )
    grouped: dict[tuple[str, str], list[SchemaProperty]] = defaultdict(list)
    for entity, name, path, type_ in rows:
        grouped[(entity, name)].append(SchemaProperty(path=path, type=type_))
    return [EventSchema(entity=e, name=n, properties=props) for (e, n), props in grouped.items()]
