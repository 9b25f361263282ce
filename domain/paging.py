"""Keyset paging over a set of ids (an organization's members, a list's members, a definition's assignments)."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import ColumnElement, select

from core.db import SessionFactory


async def id_pages(
    sessions: SessionFactory, column: Any, condition: ColumnElement[bool], size: int = 200
) -> AsyncIterator[list[uuid.UUID]]:
    """Pages of `column` values matching `condition`, in id order, each read in a short session of its
    own: the caller opens its own unit of work per page."""
    after: uuid.UUID | None = None
    while True:
        async with sessions() as session:
            query = select(column).where(condition)
            if after is not None:
                query = query.where(column > after)
            ids = list(await session.scalars(query.order_by(column).limit(size)))
        yield ids
        if len(ids) < size:
            return
        after = ids[-1]
