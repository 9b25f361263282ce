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

FIXED_UNITS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
_OFFSET = re.compile(r"^\s*(\d+)\s*(minute|hour|day|week)s?\s*(before|after)?\s*$", re.IGNORECASE)
_SIGNED = re.compile(r"^\s*([+-]?)\s*(\d+)\s*(minute|hour|day|week)s?\s*$", re.IGNORECASE)

# The units PostgreSQL reads in an interval, as (months, days, seconds) per one of them.
_UNITS: dict[str, tuple[int, int, int]] = {}
for _names, _value in (
    (("y", "yr", "yrs", "year", "years"), (12, 0, 0)),
    (("mon", "mons", "month", "months"), (1, 0, 0)),
    (("w", "week", "weeks"), (0, 7, 0)),
    (("d", "day", "days"), (0, 1, 0)),
    (("h", "hr", "hrs", "hour", "hours"), (0, 0, 3600)),
    (("m", "min", "mins", "minute", "minutes"), (0, 0, 60)),
    (("s", "sec", "secs", "second", "seconds"), (0, 0, 1)),
):
    _UNITS.update(dict.fromkeys(_names, _value))
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_CLOCK = re.compile(r"(\d+):(\d{2})(?::(\d{2}))?")
_ISO = re.compile(
    r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", re.IGNORECASE
)
SHORTEST_INTERVAL = timedelta(minutes=1)
_ACCEPTED = "e.g. '7 days', '1 month', '24h', '1h30m', 'P1D', '12:00:00', '1 day 12 hours'"


@dataclass(frozen=True)
class Interval:
    """A recurrence as PostgreSQL holds an interval: calendar months (exact: "1 month" from 31 January is
    the last day of February), days (wall-clock, in the owner's timezone) and elapsed seconds."""

    months: int = 0
    days: int = 0
    seconds: int = 0

    def __str__(self) -> str:
        years, months = divmod(self.months, 12)
        hours, rest = divmod(self.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        parts = [(years, "year"), (months, "month"), (self.days, "day"), (hours, "hour"), (minutes, "minute"),
                 (seconds, "second")]  # fmt: skip
        return " ".join(f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n)


def parse_interval(text: str) -> Interval:
    """The forms PostgreSQL reads: words or abbreviations (`"7 days"`, `"1 hour 30 minutes"`, `"24h"`,
    `"1h30m"`, `"2 mons"`), a clock (`"12:00:00"`, after words too), or ISO 8601 (`"P1D"`, `"PT1H30M"`).
    Raises ValueError saying what is accepted; an interval must be at least a minute."""
    cleaned = text.strip().lower()
    months = days = 0
    seconds = 0.0
    if iso := _ISO.fullmatch(cleaned):
        if not any(iso.groups()):
            raise ValueError(f"{text!r} is not an interval ({_ACCEPTED})")
        y, mo, w, d, h, mi, se = (int(g or 0) for g in iso.groups())
        months, days, seconds = y * 12 + mo, w * 7 + d, h * 3600 + mi * 60 + se
    else:
        rest = cleaned
        if clock := _CLOCK.search(rest):
            seconds += int(clock.group(1)) * 3600 + int(clock.group(2)) * 60 + int(clock.group(3) or 0)
            rest = rest[: clock.start()] + rest[clock.end() :]
        position = 0
        for part in _PART.finditer(rest):
            if rest[position : part.start()].strip():
                raise ValueError(f"{text!r} is not an interval ({_ACCEPTED})")
            amount, unit = part.group(1), _UNITS.get(part.group(2))
            if unit is None or ("." in amount and unit[0]):  # no such unit, or a fraction of a month
                raise ValueError(f"{text!r} is not an interval ({_ACCEPTED})")
            per_month, per_day, per_second = unit
            if "." in amount:  # "1.5 days": the fraction is elapsed time
                seconds += (per_day * 86_400 + per_second) * float(amount)
            else:
                months, days, seconds = (
                    months + per_month * int(amount),
                    days + per_day * int(amount),
                    seconds + per_second * int(amount),
                )
            position = part.end()
        if rest[position:].strip() or (position == 0 and clock is None):
            raise ValueError(f"{text!r} is not an interval ({_ACCEPTED})")
    interval = Interval(months, days, round(seconds))
    if _longest_length(interval) < SHORTEST_INTERVAL:
        raise ValueError(f"{text!r} is shorter than a minute: schedules recur at most once a minute")
    return interval


def occurrence(anchor: datetime, interval: Interval, k: int, timezone: str | None = None) -> datetime:
    """The `k`-th fire time (0 is the anchor itself), in UTC, counted from the anchor: its months and
    days are calendar and wall-clock time in `timezone`, its seconds elapsed time (as PostgreSQL adds an
    interval to a timestamp)."""
    moment = anchor.astimezone(UTC)
    if interval.months or interval.days:
        zone = ZoneInfo(timezone) if timezone else UTC
        local = _add_months(anchor.astimezone(zone).replace(tzinfo=None), interval.months * k)
        local += timedelta(days=interval.days * k)
        moment = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    return moment + timedelta(seconds=interval.seconds * k)


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
    """An upper bound of one interval's length (31-day months, 25-hour days across a clock change):
    dividing by it never overshoots the index, and jumps close to it without iterating from zero."""
    return timedelta(days=31 * interval.months, hours=25 * interval.days, seconds=interval.seconds)


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
