"""Identifiers: `(source, external_id)` pairs that name a user or an organization within a project."""

import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import ARRAY, Text, Uuid, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.prepared import Prepared
from domain.base import advisory_lock
from domain.wire import OutModel, WireModel

DEFAULT_SOURCE = "default"


class IdentifierIn(WireModel):
    external_id: str = Field(min_length=1, max_length=255)
    source: str = Field(default=DEFAULT_SOURCE, min_length=1, max_length=100)
    metadata: dict[str, Any] | None = None

    @field_validator("source", mode="before")
    @classmethod
    def _default_when_null(cls, value: object) -> object:
        return DEFAULT_SOURCE if value is None else value

    @property
    def key(self) -> "IdentifierKey":
        return IdentifierKey(self.source, self.external_id)


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
    params = {
        "project_id": project_id,
        "sources": [key.source for key in keys],
        "external_ids": [key.external_id for key in keys],
    }
    rows = await _owners_query(owner_column).execute(session, params)
    return {IdentifierKey(source, external_id): owner for source, external_id, owner in rows}


@functools.cache
def _owners_query(owner_column: InstrumentedAttribute[uuid.UUID]) -> Prepared:
    """Built once per owner kind (it runs for every event), the keys as two arrays taken pairwise."""
    table = owner_column.class_
    wanted = (
        func.unnest(bindparam("sources", type_=ARRAY(Text)), bindparam("external_ids", type_=ARRAY(Text)))
        .table_valued("source", "external_id")
        .render_derived(name="wanted")
    )
    return Prepared(
        select(table.source, table.external_id, owner_column)
        .join(wanted, and_(table.source == wanted.c.source, table.external_id == wanted.c.external_id))
        .where(table.project_id == bindparam("project_id", type_=Uuid))
    )


def sole_owner(owners: dict[IdentifierKey, uuid.UUID], keys: Sequence[IdentifierKey]) -> uuid.UUID | None:
    """The owner when every key is known and all name the same entity; None when an upsert must decide."""
    owner_ids = set(owners.values())
    return owner_ids.pop() if len(owners) == len(keys) and len(owner_ids) == 1 else None
