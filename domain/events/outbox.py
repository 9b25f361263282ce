"""Accepting events durably: a batch is written to the outbox in one transaction, so an answer of `202`
means every event of it is stored and any error means none is. The API's drain then starts each event's
workflow (`event/<project>/<event_id>`) and forgets the row; a Temporal outage delays processing but
refuses nothing (docs/events.md)."""

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, String, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.errors import Conflict
from domain.base import Base, utcnow
from domain.events.payloads import IdentifierRef, ProcessEventInput

# A key names one request for this long (as payment APIs keep theirs); afterwards it may be reused.
IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)


class AcceptedEvent(Base):
    """An event accepted by the API whose workflow has not been started yet."""

    __tablename__ = "accepted_events"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # Drained oldest first.
    position: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    payload: Mapped[dict[str, Any]]
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyKey(Base):
    """An `Idempotency-Key` a request used, with a digest of its body: a retry of the same request gets
    the same event ids; the same key with another body is refused."""

    __tablename__ = "idempotency_keys"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def request_digest(entity: str, items: Sequence[Any]) -> str:
    body = json.dumps([entity, items], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode(errors="surrogatepass")).hexdigest()


async def claim_idempotency_key(session: AsyncSession, project_id: uuid.UUID, key: str, digest: str) -> None:
    """Records the key for this request's body; `Conflict` if it names a request with another body."""
    now = utcnow()
    row = {"project_id": project_id, "key": key, "request_digest": digest, "created_at": now}
    stale = IdempotencyKey.created_at < now - IDEMPOTENCY_KEY_LIFETIME
    claimed = await session.execute(
        insert(IdempotencyKey)
        .values(row)
        .on_conflict_do_update(index_elements=["project_id", "key"], set_=row, where=stale)
        .returning(IdempotencyKey.key)
    )
    if claimed.first() is not None:
        return
    used_for = await session.scalar(
        select(IdempotencyKey.request_digest).where(IdempotencyKey.project_id == project_id, IdempotencyKey.key == key)
    )
    if used_for != digest:
        raise Conflict(f"Idempotency-Key: {key!r} was already used for a request with a different body")


async def accept(session: AsyncSession, events: Sequence[ProcessEventInput]) -> None:
    """Writes the events to the outbox; one already there (a re-post with the same ids) is kept once."""
    if not events:
        return
    rows = [
        {"project_id": uuid.UUID(e.project_id), "event_id": uuid.UUID(e.event_id), "payload": asdict(e)} for e in events
    ]
    await session.execute(insert(AcceptedEvent).values(rows).on_conflict_do_nothing())


async def claim_oldest(session: AsyncSession, limit: int) -> list[ProcessEventInput]:
    """The oldest accepted events no other drain holds, locked until this transaction ends."""
    payloads = await session.scalars(
        select(AcceptedEvent.payload).order_by(AcceptedEvent.position).limit(limit).with_for_update(skip_locked=True)
    )
    return [to_input(payload) for payload in payloads]


async def forget(session: AsyncSession, events: Sequence[ProcessEventInput]) -> None:
    keys = [(uuid.UUID(e.project_id), uuid.UUID(e.event_id)) for e in events]
    key = tuple_(AcceptedEvent.project_id, AcceptedEvent.event_id)
    await session.execute(delete(AcceptedEvent).where(key.in_(keys)))


async def forget_expired_keys(session: AsyncSession) -> None:
    await session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - IDEMPOTENCY_KEY_LIFETIME))


def to_input(payload: dict[str, Any]) -> ProcessEventInput:
    identifier = payload.get("identifier")
    refs = [IdentifierRef(**ref) for ref in identifier] if identifier is not None else None
    return ProcessEventInput(**{**payload, "identifier": refs})
