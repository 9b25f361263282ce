"""Declarative base and column helpers shared by every area's tables."""

import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, DateTime, MetaData, Table, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.errors import NotFound

T = TypeVar("T")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSONB, datetime: DateTime(timezone=True)}


def table_of(model: type[Base]) -> Table:
    """The model's table, typed as one (SQLAlchemy types `__table__` as any FROM clause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def utcnow() -> datetime:
    return datetime.now(UTC)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)


def advisory_lock(name: str | ColumnElement[str]) -> ColumnElement[Any]:
    """Take the transaction-scoped PostgreSQL advisory lock called `name` (held until commit)."""
    return func.pg_advisory_xact_lock(func.hashtextextended(name, 0))


def new_id() -> uuid.UUID:
    return uuid.uuid4()


async def get_owned(
    session: AsyncSession, table: type[T], project_id: uuid.UUID, item_id: uuid.UUID, what: str, field: str = ""
) -> T:
    """The project's row of `table` with this id, else NotFound naming it (and the request's `field`)."""
    item = await session.get(table, item_id)
    if item is None or getattr(item, "project_id", None) != project_id:
        raise NotFound(f"{field + ': ' if field else ''}{what} {item_id} not found")
    return item
