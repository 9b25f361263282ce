import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from domain.users.schemas import UserOut
from domain.wire import ManagementModel, OutModel


class ListCreate(ManagementModel):
    name: str = Field(min_length=1, max_length=255)
    kind: Literal["dynamic", "static"] | None = None
    rule: dict[str, Any] | None = None


class ListUpdate(ManagementModel):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    # A new rule is saved as a draft: preview it, then publish it.
    rule: dict[str, Any] | None = None


class PreviewRequest(ManagementModel):
    rule: dict[str, Any] | None = None


class Recompute(OutModel):
    state: str
    progress: dict[str, Any]
    recomputed_at: datetime | None


class ListOut(OutModel):
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    kind: str
    rule: dict[str, Any] | None
    draft_rule: dict[str, Any] | None
    rule_summary: str | None
    version: int
    member_count: int
    recompute: Recompute
    created_at: datetime
    updated_at: datetime


class Preview(OutModel):
    count: int
    estimated: bool = False  # a big project's count, estimated from a sample of its users
    sample: list[UserOut]
    summary: str


class RowErrorOut(OutModel):
    line: int
    error: str


class ImportOut(OutModel):
    created: int
    updated: int
    unchanged: int
    failed: int
    errors: list[RowErrorOut]
    added_to_list: int | None = None
