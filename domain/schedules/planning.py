"""Which fire each offset of an assignment has next: pure, so the API, the dispatcher and a
re-plan after an offset edit all compute it the same way."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.schedules.recurrence import Offset, first_index_at_or_after, occurrence, parse_interval, parse_offset


@dataclass(frozen=True)
class PlannedFire:
    offset_id: uuid.UUID
    occurrence: int
    base_at: datetime
    fire_at: datetime


@dataclass(frozen=True)
class Timing:
    """What of an assignment decides its fire times."""

    scheduled_at: datetime | None
    interval: str | None
    start_at: datetime | None
    anchor_at: datetime
    timezone: str | None = None
    # A pausing recurrence: occurrences at or after this do not fire.
    pause_from: datetime | None = None

    def base(self, k: int) -> datetime:
        if self.interval is None:
            assert self.scheduled_at is not None
            return self.scheduled_at
        return occurrence(self.anchor_at, parse_interval(self.interval), k, self.timezone)

    def fires(self, base_at: datetime) -> bool:
        after_start = self.start_at is None or base_at >= self.start_at
        return after_start and (self.pause_from is None or base_at < self.pause_from)


def offsets_of(definition_offsets: list[dict[str, Any]]) -> dict[uuid.UUID, Offset]:
    return {uuid.UUID(o["id"]): parse_offset(o["interval"], o["direction"]) for o in definition_offsets}


def anchor_for(
    scheduled_at: datetime | None, interval: str | None, start_at: datetime | None, now: datetime
) -> datetime:
    """Where a recurrence counts from: its first requested time, else one interval from now."""
    if scheduled_at is not None:
        return scheduled_at
    if start_at is not None:
        return start_at
    assert interval is not None
    return occurrence(now, parse_interval(interval), 1)


def plan(timing: Timing, offsets: dict[uuid.UUID, Offset], not_before: datetime) -> list[PlannedFire]:
    """For each offset, the first fire at or after `not_before` (none for a single fire already past)."""
    planned: list[PlannedFire] = []
    for offset_id, offset in offsets.items():
        fire = next_fire(timing, offset_id, offset, 0, not_before)
        if fire is not None:
            planned.append(fire)
    return planned


def next_fire(
    timing: Timing, offset_id: uuid.UUID, offset: Offset, from_index: int, not_before: datetime
) -> PlannedFire | None:
    """The first occurrence ≥ `from_index` of this offset whose fire is at or after `not_before`."""
    if timing.interval is None:
        base = timing.base(0)
        if from_index > 0 or base + offset.delta < not_before or not timing.fires(base):
            return None
        return PlannedFire(offset_id, 0, base, base + offset.delta)
    interval = parse_interval(timing.interval)
    earliest = not_before - offset.delta
    if timing.start_at is not None:
        earliest = max(earliest, timing.start_at)
    k = max(from_index, first_index_at_or_after(timing.anchor_at, interval, earliest, timing.timezone))
    base = timing.base(k)
    if not timing.fires(base):
        return None
    return PlannedFire(offset_id, k, base, base + offset.delta)


def fire_event_id(assignment_id: uuid.UUID, offset_id: uuid.UUID, base_at: datetime) -> uuid.UUID:
    """The event one fire writes: the same fire, re-run after a crash, writes the same event once."""
    return uuid.uuid5(assignment_id, f"{offset_id}/{base_at.isoformat()}")
