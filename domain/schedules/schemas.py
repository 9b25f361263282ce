import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from domain.organizations.schemas import EntityRef
from domain.schedules.recurrence import parse_interval, parse_offset
from domain.wire import DataObject, ManagementModel, OutModel

Entity = Literal["user", "organization"]
# Any text but control characters; its events are `scheduled.<name>`, and an event name is at most 255.
NAME_PATTERN = r"^[^\x00-\x1f\x7f]+$"
MAX_NAME = 255 - len("scheduled.")


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{field} needs a timezone (for example 2026-04-01T09:00:00Z)")
    return value


class ScheduleRef(EntityRef):
    """Names one assignment: the schedule `name` of the user or organization the identifiers name."""

    name: str = Field(min_length=1, max_length=MAX_NAME, pattern=NAME_PATTERN, examples=["renewal date"])


class ScheduleUpsert(ScheduleRef):
    """`scheduled_at` alone fires once; `interval` recurs (from `scheduled_at`, else `start_at`, else
    one interval from now); `start_at` is the earliest time a recurrence may fire."""

    scheduled_at: datetime | None = None
    # Any interval PostgreSQL reads, at least a minute: "7 days", "1 month", "24h", "1h30m", "P1D", "12:00:00".
    interval: str | None = Field(default=None, max_length=100, examples=["24h", "1 month"])
    start_at: datetime | None = None
    data: DataObject = Field(default_factory=dict)

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: str | None) -> str | None:
        return None if value is None else str(parse_interval(value))

    @field_validator("scheduled_at", "start_at")
    @classmethod
    def _timezone(cls, value: datetime | None, info: Any) -> datetime | None:
        return _aware(value, info.field_name)

    @model_validator(mode="after")
    def _timing(self) -> "ScheduleUpsert":
        if self.scheduled_at is None and self.interval is None:
            raise ValueError("scheduled_at: one of scheduled_at (a single fire) or interval (recurring) is required")
        return self


class OffsetIn(ManagementModel):
    interval: str = Field(default="0 minutes", max_length=40)
    direction: Literal["before", "after"] = "after"
    # An offset as a GET shows it may be sent back: offsets are matched by interval and direction.
    id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _parses(self) -> "OffsetIn":
        parse_offset(self.interval, self.direction)
        return self


class DefinitionIn(ManagementModel):
    offsets: list[OffsetIn] = Field(default_factory=lambda: [OffsetIn()], min_length=1, max_length=20)


class OffsetOut(OutModel):
    id: uuid.UUID
    interval: str
    direction: str


class DefinitionOut(OutModel):
    id: uuid.UUID
    entity: str
    name: str
    event_name: str
    offsets: list[OffsetOut]
    assignments: int = 0


class FireOut(OutModel):
    offset_id: uuid.UUID
    offset: str
    fire_at: datetime


class ScheduleOut(OutModel):
    """An assignment as the client API answers it: `scheduled_at` is the next time it fires."""

    id: uuid.UUID
    name: str
    scheduled_at: datetime | None
    interval: str | None
    start_at: datetime | None
    data: dict[str, Any]
    status: str = "active"
    fires: list[FireOut] = Field(default_factory=list)


class PauseIn(ManagementModel):
    mode: Literal["immediately", "after_next_interval"] = "immediately"


class ResumeIn(ManagementModel):
    mode: Literal["immediately", "at_next_interval"] = "at_next_interval"
