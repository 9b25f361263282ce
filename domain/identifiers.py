"""Identifiers: `(source, external_id)` pairs that name a user or an organization within a project."""

import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, field_validator
from sqlalchemy import Text, Uuid, bindparam, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.prepared import Prepared
from domain.base import advisory_lock
from domain.wire import DataObject, OutModel, WireModel

DEFAULT_SOURCE = "default"


class IdentifierIn(WireModel):
    external_id: str = Field(min_length=1, max_length=255)
    source: str = Field(default=DEFAULT_SOURCE, min_length=1, max_length=100)
    metadata: DataObject | None = None

    @field_validator("source", mode="before")
    @classmethod
    def _default_when_null(cls, value: object) -> object:
        return DEFAULT_SOURCE if value is None else value

    @property
    def key(self) -> "IdentifierKey":
        return IdentifierKey(self.source, self.external_id)


# Identifiers one request may name for a user or an organization, and one user may hold in all.
MAX_IDENTIFIERS = 20
MAX_USER_IDENTIFIERS = 50
Identifiers = Annotated[list[IdentifierIn], Field(min_length=1, max_length=MAX_IDENTIFIERS)]


class IdentifierOut(OutModel):
    id: uuid.UUID
    source: str
    external_id: str
    metadata: dict[str, Any] | None = Field(validation_alias="metadata_")
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, order=True)
class IdentifierKey:
    source: str
    external_id: str

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


def unique_keys(identifiers: Iterable[IdentifierIn]) -> list[IdentifierKey]:
    return sorted({identifier.key for identifier in identifiers})


async def lock_identifiers(
    session: AsyncSession, scope: str, project_id: uuid.UUID, keys: Sequence[IdentifierKey]
) -> None:
    """Serialise transactions that resolve the same identifiers until commit.

    Two concurrent upserts of one new identifier then create one owner, not two. Locks are taken in
    sorted order so transactions sharing several identifiers cannot deadlock.
    """
    for key in sorted(keys):
        lock_name = f"{scope}:{project_id}:{key.source}:{key.external_id}"
        await session.execute(select(advisory_lock(lock_name)))


async def find_owners(
    session: AsyncSession,
    owner_column: InstrumentedAttribute[uuid.UUID],
    project_id: uuid.UUID,
    keys: Sequence[IdentifierKey],
) -> dict[IdentifierKey, uuid.UUID]:
    """Map each known key to the id of the user or organization it names."""
    if not keys:
        return {}
    params: dict[str, object] = {"project_id": project_id}
    for i, key in enumerate(keys):
        params[f"source_{i}"], params[f"external_id_{i}"] = key.source, key.external_id
    rows = await _owners_query(owner_column, len(keys)).execute(session, params)
    return {IdentifierKey(source, external_id): owner for source, external_id, owner in rows}


@functools.lru_cache(maxsize=64)
def _owners_query(owner_column: InstrumentedAttribute[uuid.UUID], count: int) -> Prepared:
    """Built once per owner kind and number of keys (it runs for every event, nearly always with one
    key). One pair of parameters per key: measured, this form costs PostgreSQL a third of the CPU per
    lookup that the keys as two arrays joined pairwise do (53 against 177 µs)."""
    table = owner_column.class_
    pairs = [
        tuple_(bindparam(f"source_{i}", type_=Text), bindparam(f"external_id_{i}", type_=Text)) for i in range(count)
    ]
    return Prepared(
        select(table.source, table.external_id, owner_column).where(
            table.project_id == bindparam("project_id", type_=Uuid),
            tuple_(table.source, table.external_id).in_(pairs),
        )
    )


def sole_owner(owners: dict[IdentifierKey, uuid.UUID], keys: Sequence[IdentifierKey]) -> uuid.UUID | None:
    """The owner when every key is known and all name the same entity; None when an upsert must decide."""
    owner_ids = set(owners.values())
    return owner_ids.pop() if len(owners) == len(keys) and len(owner_ids) == 1 else None
