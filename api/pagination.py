import uuid
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from core.errors import Invalid

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=1000)]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page")]


class Page(BaseModel, Generic[T]):
    results: list[T]
    next_cursor: str | None


def id_page(items: list[T], ids: list[uuid.UUID], limit: int) -> Page[T]:
    """Keyset page over ids: a full page means there may be more after its last id."""
    return Page(results=items, next_cursor=str(ids[-1]) if len(items) == limit else None)


def after_id(cursor: str | None) -> uuid.UUID | None:
    """Decode an id cursor; a malformed one is a 400 naming the parameter."""
    if cursor is None:
        return None
    try:
        return uuid.UUID(cursor)
    except ValueError:
        raise Invalid("cursor: not a cursor returned by this API") from None
