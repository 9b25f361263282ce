import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator, model_validator

from domain.events.service import is_reserved
from domain.identifiers import IdentifierIn
from domain.wire import OutModel, WireModel

# Events travel through Temporal histories; keep each well under its payload limits.
MAX_EVENT_DATA_BYTES = 256 * 1024


class EventIn(WireModel):
    name: str = Field(min_length=1, max_length=255)
    data: dict[str, Any] = Field(default_factory=dict)
    identifier: list[IdentifierIn] | None = Field(default=None, min_length=1)
    match: dict[str, Any] | None = None
    # Optional client-chosen id: re-posting the same id is accepted again but processed once.
    id: str | None = Field(default=None, min_length=1, max_length=255)

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if is_reserved(name):
            raise ValueError(f"event name {name!r} uses a reserved system prefix")
        return name

    @field_validator("data", mode="before")
    @classmethod
    def _null_data(cls, value: object) -> object:
        return {} if value is None else value

    @field_validator("data", "match")
    @classmethod
    def _not_too_large(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(json.dumps(value)) > MAX_EVENT_DATA_BYTES:
            raise ValueError(f"must be at most {MAX_EVENT_DATA_BYTES // 1024} KiB of JSON")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> "EventIn":
        if self.identifier is not None and self.match is not None:
            raise ValueError("identifier and match are mutually exclusive")
        if self.identifier is None and self.match is None:
            raise ValueError("one of identifier or match is required")
        return self


class AcceptedEvents(OutModel):
    accepted: int
    event_ids: list[uuid.UUID]


class TimelineEvent(OutModel):
    id: uuid.UUID
    name: str
    data: dict[str, Any]
    source: str
    created_at: datetime


class TimelinePage(OutModel):
    results: list[TimelineEvent]
    next_cursor: str | None


class SchemaProperty(OutModel):
    path: str
    type: str


class EventSchema(OutModel):
    entity: str
    name: str
    properties: list[SchemaProperty]
