import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from domain.events.service import is_reserved
from domain.identifiers import Identifiers
from domain.wire import DataObject, EventData, OutModel, WireModel


class EventIn(WireModel):
    name: str = Field(min_length=1, max_length=255)
    data: EventData = Field(default_factory=dict)
    identifier: Identifiers | None = None
    match: DataObject | None = None
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

    @model_validator(mode="after")
    def _one_target(self) -> "EventIn":
        if self.identifier is not None and self.match is not None:
            raise ValueError("identifier and match are mutually exclusive")
        if self.identifier is None and self.match is None:
            raise ValueError("one of identifier or match is required")
        return self


# Events one request may carry; larger batches are split by the caller (docs/limits.md).
MAX_EVENTS_PER_REQUEST = 1000
EventBatch = Annotated[list[EventIn], Field(max_length=MAX_EVENTS_PER_REQUEST)]


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
