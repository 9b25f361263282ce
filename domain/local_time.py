"""Local wall-clock time in a user's timezone, as instants: shared by journeys' delays and broadcasts'
local-time delivery."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def wall_clock_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """`wall` on `day` in `tz`, as an aware UTC instant (a gap time moves forward by the gap)."""
    # fold=0 (PEP 495): a gap time takes the offset from before the change, landing just after the gap;
    # a repeated fall-back time is its first occurrence.
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)
