"""Turn accepted API items into pipeline inputs with stable event ids, and accept them durably."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.events.outbox import accept, claim_idempotency_key, request_digest
from domain.events.payloads import Entity, IdentifierRef, ProcessEventInput
from domain.events.schemas import EventIn
from domain.identifiers import IdentifierKey, find_owners
from domain.users.models import UserIdentifier


def event_id_for(project_id: uuid.UUID, item: EventIn, index: int, idempotency_key: str | None) -> uuid.UUID:
    """A per-item `id` or the request's `Idempotency-Key` makes the id stable across re-posts."""
    if item.id is not None:
        try:
            return uuid.UUID(item.id)
        except ValueError:
            return uuid.uuid5(project_id, f"item:{item.id}")
    if idempotency_key is not None:
        return uuid.uuid5(project_id, f"key:{idempotency_key}:{index}")
    return uuid.uuid4()


def build_inputs(
    project_id: uuid.UUID,
    entity: Entity,
    items: Sequence[EventIn],
    idempotency_key: str | None,
    received_at: datetime,
) -> list[ProcessEventInput]:
    return [
        ProcessEventInput(
            project_id=str(project_id),
            event_id=str(event_id_for(project_id, item, index, idempotency_key)),
            entity=entity,
            name=item.name,
            data=item.data,
            source="client",
            occurred_at=received_at.isoformat(),
            identifier=(
                [IdentifierRef(external_id=i.external_id, source=i.source) for i in item.identifier]
                if item.identifier is not None
                else None
            ),
            match=item.match,
        )
        for index, item in enumerate(items)
    ]


async def accept_batch(
    session: AsyncSession,
    project_id: uuid.UUID,
    entity: Entity,
    items: Sequence[EventIn],
    idempotency_key: str | None,
    received_at: datetime,
) -> list[uuid.UUID]:
    """Writes the batch to the outbox (all of it, in the caller's transaction) and returns the event
    ids. A retried request with the same `Idempotency-Key` gets the same ids; the key with another body
    is a `Conflict`."""
    if idempotency_key is not None:
        digest = request_digest(entity, [item.model_dump(mode="json") for item in items])
        await claim_idempotency_key(session, project_id, idempotency_key, digest)
    inputs = build_inputs(project_id, entity, items, idempotency_key, received_at)
    await accept(session, inputs)
    return [uuid.UUID(i.event_id) for i in inputs]


async def index_known_users(session: AsyncSession, events: Sequence[ProcessEventInput]) -> None:
    """Sets `indexed_user_id` on each user event whose identifiers all name one known user (one lookup
    per project), so its workflow starts with its `UserId` search attribute."""
    by_project: dict[str, list[ProcessEventInput]] = {}
    for event in events:
        if event.entity == "user" and event.identifier and not event.user_id:
            by_project.setdefault(event.project_id, []).append(event)
    for project_id, named in by_project.items():
        keys = sorted({IdentifierKey(ref.source, ref.external_id) for e in named for ref in e.identifier or []})
        owners = await find_owners(session, UserIdentifier.user_id, uuid.UUID(project_id), keys)
        for event in named:
            found = {owners.get(IdentifierKey(ref.source, ref.external_id)) for ref in event.identifier or []}
            if len(found) == 1 and None not in found:
                event.indexed_user_id = str(found.pop())


def fan_out_event_id(event_id: str, entity_id: str) -> str:
    """The id of the copy of a `match` event delivered to one entity: the same on every retry."""
    return str(uuid.uuid5(uuid.UUID(event_id), entity_id))
