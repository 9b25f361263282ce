"""What crosses the Temporal boundary for broadcasts, and when each wave of a broadcast is due."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from domain.local_time import wall_clock_instant, zone

BROADCAST_WORKFLOW = "Broadcast"
# The earliest any timezone reaches a local date and time: UTC+14 (Line Islands).
EARLIEST_ZONE_OFFSET = timedelta(hours=14)


def broadcast_workflow_id(project_id: str, broadcast_id: str) -> str:
    return f"broadcast/{project_id}/{broadcast_id}"


@dataclass
class BroadcastInput:
    project_id: str
    broadcast_id: str
    # When the audience is taken (ISO, UTC): `send_at`, or the first moment any timezone reaches the
    # local date and time; empty: at once.
    starts_at: str = ""


@dataclass
class Wave:
    """The recipients in one timezone (`None`: everyone, for a broadcast at one instant) and when they are due."""

    timezone: str | None
    send_at: str  # ISO, UTC


@dataclass
class BroadcastBatch:
    broadcast_id: str
    timezone: str | None
    size: int = 200


@dataclass
class BatchResult:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    done: bool = False  # no recipient of this wave is left to send to


@dataclass
class BroadcastProgress:
    """What the workflow shows in the Temporal UI (query `progress`)."""

    waves: int = 0
    waves_done: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0

    def add(self, batch: BatchResult) -> None:
        self.sent += batch.sent
        self.skipped += batch.skipped
        self.failed += batch.failed


def local_moment(local_date: date, local_time: str, timezone: str) -> datetime:
    """`local_time` on `local_date` in `timezone` (UTC when unknown), as a UTC instant (DST-correct, as
    journeys' wall-clock delays are)."""
    return wall_clock_instant(local_date, time.fromisoformat(local_time), zone(timezone))


def audience_moment(send_at: datetime | None, local_date: date | None, local_time: str | None) -> datetime | None:
    """When a broadcast takes its audience and begins: `send_at`, or the first moment anywhere on
    Earth reaches the local date and time; None for at once."""
    if local_date is not None and local_time is not None:
        return datetime.combine(local_date, time.fromisoformat(local_time), tzinfo=UTC) - EARLIEST_ZONE_OFFSET
    return send_at
