import uuid
from datetime import date, datetime
from typing import Self

from pydantic import Field, model_validator

from domain.wire import ManagementModel, OutModel


class LocalDelivery(ManagementModel):
    """Send at this wall-clock time on this date in each recipient's timezone (UTC when they have none)."""

    date: date
    time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["09:00"])


class BroadcastIn(ManagementModel):
    name: str = Field(min_length=1, max_length=255)
    campaign_id: uuid.UUID
    list_id: uuid.UUID
    send_at: datetime | None = None  # one instant for everyone; neither this nor `local`: at once
    local: LocalDelivery | None = None

    @model_validator(mode="after")
    def _one_timing(self) -> Self:
        if self.send_at is not None and self.local is not None:
            raise ValueError("send_at: give either send_at or local, not both")
        if self.send_at is not None and self.send_at.tzinfo is None:
            raise ValueError("send_at: must carry a timezone offset (e.g. 2026-12-01T09:00:00Z)")
        return self


class BroadcastCounts(OutModel):
    total: int
    pending: int
    sent: int
    skipped: int
    failed: int


class BroadcastOut(OutModel):
    id: uuid.UUID
    name: str
    campaign_id: uuid.UUID
    list_id: uuid.UUID
    send_at: datetime | None
    local: LocalDelivery | None
    status: str  # scheduled | sending | completed | cancelled
    progress: BroadcastCounts
    workflow_id: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
