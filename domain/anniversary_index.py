"""The index `scheduled.anniversary` sweeps: (month·100 + day, time of day) of `created_at` in UTC.

Written as SQL text so the queries that use it compile to the very expressions the planner matches."""

from sqlalchemy import Index, text

MONTH_DAY = "(extract(month from {c} AT TIME ZONE 'UTC') * 100 + extract(day from {c} AT TIME ZONE 'UTC'))"
TIME_OF_DAY = "(({c} AT TIME ZONE 'UTC')::time)"


def anniversary_index(table: str) -> Index:
    return Index(
        f"ix_{table}_anniversary", text(MONTH_DAY.format(c="created_at")), text(TIME_OF_DAY.format(c="created_at"))
    )
