"""Keyset paging over a set of user ids (an organization's members, a list's members)."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import SessionFactory


async def user_id_pages(
    sessions: SessionFactory, column: Any, condition: ColumnElement[bool], size: int = 200
) -> AsyncIterator[tuple[AsyncSession, list[uuid.UUID]]]:
    """Pages of `column` values matching `condition`, in id order, each with the session that read it
    (the caller writes and commits in that session before the next page is read)."""
    after: uuid.UUID | None = None
    while True:
        async with sessions() as session:
            query = select(column).where(condition)
            if after is not None:
                query = query.where(column > after)
            ids = list(await session.scalars(query.order_by(column).limit(size)))
            yield session, ids
        if len(ids) < size:
            return
        after = ids[-1]
