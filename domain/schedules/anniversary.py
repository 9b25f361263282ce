"""`scheduled.anniversary`: every user and organization, yearly from its creation, with no row and no
Temporal object per entity. A cursor sweeps time forward; each stretch of time becomes index lookups
on (month·100 + day, time of day) of `created_at` in UTC — about 27,000 rows a day at 10 million users.
Born on 29 February: celebrated on 28 February in common years."""

import calendar
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, literal_column, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from domain.anniversary_index import MONTH_DAY, TIME_OF_DAY
from domain.events.models import Event
from domain.events.service import insert_events, system_event
from domain.listening import heard_events
from domain.organizations.models import Organization
from domain.schedules.models import ScheduleCursor
from domain.schedules.payloads import ANNIVERSARY_EVENT
from domain.schedules.recurrence import ZERO_OFFSET
from domain.users.models import User

CURSOR = "anniversary"
# One call sweeps at most this much time, so a long outage is worked off in bounded transactions.
STRETCH = timedelta(hours=6)


def _key(expression: str, table: type[User] | type[Organization]) -> ColumnElement[Any]:
    return literal_column(expression.format(c=f"{table.__tablename__}.created_at"))


@dataclass
class SweptAnniversaries:
    events: list[Event]
    heard: list[Event]
    position: datetime


async def fire_anniversaries(session: AsyncSession, now: datetime, catch_up: timedelta) -> SweptAnniversaries | None:
    """Write the anniversary events of (cursor, now], moving the cursor; None when already there.
    Anniversaries older than `catch_up` (an outage) are skipped. Event ids derive from (entity, year),
    so a swept stretch written twice is stored once."""
    cursor = await session.get(ScheduleCursor, CURSOR, with_for_update=True)
    if cursor is None:  # first run: anniversaries count from now on
        session.add(ScheduleCursor(name=CURSOR, position=now))
        return SweptAnniversaries([], [], now)
    start = max(cursor.position, now - catch_up)
    end = min(now, start + STRETCH)
    if end <= start:
        return None
    events: list[Event] = []
    for day_start, day_end in _days(start, end):
        for table in (User, Organization):
            events.extend(await _anniversaries(session, table, day_start, day_end, now))
    heard = await heard_events(session, events)
    await insert_events(session, events)
    cursor.position = end
    return SweptAnniversaries(events, heard, end)


def _days(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) cut at UTC midnights."""
    pieces = []
    while start < end:
        midnight = datetime.combine(start.date() + timedelta(days=1), time(), tzinfo=UTC)
        pieces.append((start, min(end, midnight)))
        start = min(end, midnight)
    return pieces


async def _anniversaries(
    session: AsyncSession, table: type[User] | type[Organization], start: datetime, end: datetime, now: datetime
) -> list[Event]:
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    keys = [start.month * 100 + start.day]
    if keys == [228] and not calendar.isleap(start.year):
        keys.append(229)
    time_of_day = _key(TIME_OF_DAY, table)
    in_stretch = time_of_day >= start.time()
    until = time_of_day < end.time() if end.date() == start.date() else true()
    year_start = datetime(start.year, 1, 1, tzinfo=UTC)
    rows = await session.execute(
        select(table.id, table.project_id, table.created_at).where(
            _key(MONTH_DAY, table).in_(keys), in_stretch, until, table.created_at < year_start
        )
    )
    entity = "user" if table is User else "organization"
    return [_event(entity, row.id, row.project_id, row.created_at, start.year, now) for row in rows]


def _event(
    entity: str, entity_id: uuid.UUID, project_id: uuid.UUID, created_at: datetime, year: int, now: datetime
) -> Event:
    created = created_at.astimezone(UTC)
    fire_at = _in_year(created, year)
    data = {
        "schedule_id": None,
        "schedule_offset_id": None,
        "offset": str(ZERO_OFFSET),
        "fire_at": fire_at.isoformat(),
        "years": year - created.year,
    }
    return system_event(
        project_id,
        ANNIVERSARY_EVENT,
        data,
        user_id=entity_id if entity == "user" else None,
        organization_id=entity_id if entity == "organization" else None,
        event_id=uuid.uuid5(entity_id, f"anniversary/{year}"),
        at=now,
    )


def next_anniversary(created_at: datetime, now: datetime) -> datetime:
    """When `scheduled.anniversary` next fires for something created at `created_at`."""
    created = created_at.astimezone(UTC)
    year = max(now.year, created.year + 1)
    while _in_year(created, year) <= now:
        year += 1
    return _in_year(created, year)


def _in_year(created: datetime, year: int) -> datetime:
    """The anniversary in `year`: 29 February becomes 28 February in common years."""
    return created.replace(year=year, day=min(created.day, calendar.monthrange(year, created.month)[1]))
