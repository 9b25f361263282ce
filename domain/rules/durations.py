"""Durations (`"30 days"`, `"2 hours"`) and relative dates (`"-30 days"`), as rules and journeys write them."""

import re
from datetime import datetime, timedelta

UNITS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    # Calendar months and years belong to schedules; in rule windows they are fixed lengths.
    "month": timedelta(days=30),
    "year": timedelta(days=365),
}
DURATION = re.compile(r"^\s*([+-]?)\s*(\d+)\s*(minute|hour|day|week|month|year)s?\s*$", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """`"30 days"` → 30 days; raises ValueError naming the accepted units."""
    match = DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like '30 days' (units: {', '.join(UNITS)})")
    sign, amount, unit = match.groups()
    value = UNITS[unit.lower()] * int(amount)
    return -value if sign == "-" else value


def parse_instant(text: str, now: datetime) -> datetime:
    """An ISO 8601 date/time, or a duration relative to `now` (`"-30 days"`)."""
    if DURATION.match(text):
        return now + parse_duration(text)
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is neither an ISO 8601 date nor a relative date like '-30 days'") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=now.tzinfo)


SPAN_PART = re.compile(r"(\d+)\s*(second|minute|hour|day|week)s?", re.IGNORECASE)
SPAN_UNITS = {"second": timedelta(seconds=1), **{k: UNITS[k] for k in ("minute", "hour", "day", "week")}}


def parse_span(text: str) -> timedelta:
    """A journey delay: one or more parts, `"2 days 3 hours"`, `"1 second"`. Raises ValueError."""
    parts = SPAN_PART.findall(text)
    if not parts or SPAN_PART.sub("", text).replace(",", "").replace("and", "").strip():
        raise ValueError(f"{text!r} is not a duration like '2 days 3 hours' (units: {', '.join(SPAN_UNITS)})")
    return sum((SPAN_UNITS[unit.lower()] * int(amount) for amount, unit in parts), timedelta())
