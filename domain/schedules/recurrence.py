"""When a schedule fires: calendar-aware intervals and offsets, pure functions of their inputs.

Occurrence `k` of a recurring schedule is `anchor + k × interval`, always counted from the anchor (never
from the previous fire), so "1 month" from 31 January fires on the last day of February and then again on
31 March. Days and longer are wall-clock arithmetic in the owner's timezone, so "1 day" at 09:00 stays
at 09:00 across a DST change; minutes and hours are elapsed time.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

CALENDAR_UNITS = ("month", "year")
FIXED_UNITS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
_AMOUNT_UNIT = re.compile(r"^\s*(\d+)\s*(minute|hour|day|week|month|year)s?\s*$", re.IGNORECASE)
_OFFSET = re.compile(r"^\s*(\d+)\s*(minute|hour|day|week)s?\s*(before|after)?\s*$", re.IGNORECASE)
_SIGNED = re.compile(r"^\s*([+-]?)\s*(\d+)\s*(minute|hour|day|week)s?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Interval:
    """A recurrence: `amount` of `unit` (minute, hour, day, week, or calendar month / year)."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"


def parse_interval(text: str) -> Interval:
    """`"7 days"`, `"1 month"`, `"1 year"`; raises ValueError saying what is accepted."""
    match = _AMOUNT_UNIT.match(text)
    if not match or int(match.group(1)) < 1:
        units = ", ".join([*FIXED_UNITS, *CALENDAR_UNITS])
        raise ValueError(f"{text!r} is not an interval like '7 days' or '1 month' (units: {units})")
    return Interval(int(match.group(1)), match.group(2).lower())


def occurrence(anchor: datetime, interval: Interval, k: int, timezone: str | None = None) -> datetime:
    """The `k`-th fire time (0 is the anchor itself), in UTC. Minutes and hours are elapsed time; days and
    longer are wall-clock time in `timezone`."""
    if interval.unit in ("minute", "hour"):
        return anchor.astimezone(UTC) + FIXED_UNITS[interval.unit] * interval.amount * k
    zone = ZoneInfo(timezone) if timezone else UTC
    local = anchor.astimezone(zone).replace(tzinfo=None)
    if interval.unit in CALENDAR_UNITS:
        months = interval.amount * k * (12 if interval.unit == "year" else 1)
        local = _add_months(local, months)
    else:
        local = local + FIXED_UNITS[interval.unit] * interval.amount * k
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _add_months(moment: datetime, months: int) -> datetime:
    """Calendar months; a day the target month lacks becomes its last day (31 Jan + 1 month = 28/29 Feb)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def first_index_at_or_after(
    anchor: datetime, interval: Interval, not_before: datetime, timezone: str | None = None
) -> int:
    """The smallest k ≥ 0 whose occurrence is at or after `not_before`."""
    if not_before <= anchor:
        return 0
    approx = _longest_length(interval)
    k = max(int((not_before - anchor) / approx) - 1, 0)
    while occurrence(anchor, interval, k, timezone) < not_before:
        k += 1
    return k


def _longest_length(interval: Interval) -> timedelta:
    """An upper bound of one interval's length: dividing by it never overshoots the index, and jumps
    close to it without iterating from zero."""
    if interval.unit == "month":
        return timedelta(days=31) * interval.amount
    if interval.unit == "year":
        return timedelta(days=366) * interval.amount
    return FIXED_UNITS[interval.unit] * interval.amount


@dataclass(frozen=True)
class Offset:
    """When an offset fires relative to the schedule's time: negative is before."""

    amount: int
    unit: str
    before: bool

    @property
    def delta(self) -> timedelta:
        span = FIXED_UNITS[self.unit] * self.amount
        return -span if self.before else span

    @property
    def span(self) -> str:
        return f"{self.amount} {self.unit}{'' if self.amount == 1 else 's'}"

    @property
    def direction(self) -> Literal["before", "after"]:
        return "before" if self.before else "after"

    def __str__(self) -> str:
        return f"{self.span} {self.direction}"


ZERO_OFFSET = Offset(0, "minute", before=False)


def parse_offset(interval: str, direction: str = "after") -> Offset:
    """A definition's offset: `{"interval": "7 days", "direction": "before"}`. Raises ValueError."""
    match = _OFFSET.match(interval)
    if not match or direction not in ("before", "after"):
        raise ValueError(
            f"{interval!r} {direction!r} is not an offset like '7 days' before|after (units: {', '.join(FIXED_UNITS)})"
        )
    return Offset(int(match.group(1)), match.group(2).lower(), before=direction == "before")


def parse_signed_offset(text: str) -> Offset:
    """A journey entrance's offset: `"-7 days"` (before), `"2 hours"` (after), or `"7 days before"`."""
    match = _SIGNED.match(text)
    if match:
        sign, amount, unit = match.groups()
        return Offset(int(amount), unit.lower(), before=sign == "-" and int(amount) > 0)
    words = _OFFSET.match(text)
    if words:
        return parse_offset(f"{words.group(1)} {words.group(2)}", (words.group(3) or "after").lower())
    raise ValueError(f"{text!r} is not an offset like '-7 days', '2 hours' or '30 minutes before'")
