"""Step 1 and 2 of the pipeline: store the occurrence once, and learn its schema."""

import uuid
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.prepared import Prepared
from domain.base import utcnow
from domain.events.models import Event, EventSchemaProperty
from domain.events.payloads import ProcessEventInput
from domain.events.schema_extraction import property_types

SchemaKey = tuple[uuid.UUID, str, str, str, str]


async def record_occurrence(
    session: AsyncSession,
    event: ProcessEventInput,
    user_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
) -> None:
    """Insert the event, or mark an already-written system event as having entered the pipeline."""
    occurred_at = datetime.fromisoformat(event.occurred_at) if event.occurred_at else utcnow()
    await _RECORD.execute(
        session,
        {
            "event_id": uuid.UUID(event.event_id),
            "project_id": uuid.UUID(event.project_id),
            "user_id": user_id,
            "organization_id": organization_id,
            "name": event.name,
            "data": event.data,
            "source": event.source,
            "created_at": occurred_at,
        },
    )


# Built once: building an insert and its cache key costs more Python than executing it (~0.6 ms).
_insert_event = insert(Event).values(
    id=bindparam("event_id"),
    project_id=bindparam("project_id"),
    user_id=bindparam("user_id"),
    organization_id=bindparam("organization_id"),
    name=bindparam("name"),
    data=bindparam("data"),
    source=bindparam("source"),
    dispatched=True,
    created_at=bindparam("created_at"),
)
_RECORD = Prepared(
    _insert_event.on_conflict_do_update(index_elements=[Event.id], set_={"dispatched": True}, where=~Event.dispatched)
)


async def extract_schema(session: AsyncSession, event: ProcessEventInput, known: set[SchemaKey]) -> list[SchemaKey]:
    """Store property paths not in `known` (a per-process cache that spares repeat writes) and
    return them; the caller adds them to the cache once the transaction has committed."""
    project_id = uuid.UUID(event.project_id)
    new: list[SchemaKey] = [
        key
        for path, type_ in sorted(property_types(event.data))
        if (key := (project_id, event.entity, event.name, path, type_)) not in known
    ]
    if not new:
        return new
    await session.execute(
        insert(EventSchemaProperty)
        .values([{"project_id": p, "entity": e, "event_name": n, "path": path, "type": t} for p, e, n, path, t in new])
        .on_conflict_do_nothing()
    )
    return new
