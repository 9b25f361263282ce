"""Which system events need the per-event pipeline: those a list, a journey entrance or a running run
listens for. The rest are complete once written (timeline and schema), so they cost no workflow.

Decided in the emitting transaction, against the lists and journeys of that moment: a list or journey
created later starts from its own full evaluation, not from events that happened before it existed.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import ARRAY, ColumnElement, Text, Uuid, any_, bindparam, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from core.prepared import Prepared
from domain.base import table_of
from domain.events.models import Event
from domain.journeys.models import Journey, JourneyRun
from domain.lists.models import List


async def heard_events(session: AsyncSession, events: Sequence[Event]) -> list[Event]:
    """The events something listens for; the others are marked as processed."""
    if not events:
        return []
    project_ids = {event.project_id for event in events}
    names = {event.name for event in events}
    user_ids = {event.user_id for event in events if event.user_id is not None}
    with session.no_autoflush:  # decide before the new rows are written, so they are written once
        listened = await _listened(session, project_ids, names, user_ids)
    heard = [event for event in events if event.name in listened]
    written = []
    for event in events:
        if event.name in listened:
            continue
        if inspect(event).persistent:  # already flushed: marked below, all in one statement
            set_committed_value(event, "dispatched", True)
            written.append(event.id)
        else:
            event.dispatched = True
    if written:
        await _MARK_DISPATCHED.execute(session, {"ids": written})
    return heard


async def heard_in_project(session: AsyncSession, project_id: uuid.UUID, names: Sequence[str]) -> set[str]:
    """Which of `names` something in the project listens for, for any of its users: the test for events
    emitted in bulk (a list recompute's membership changes)."""
    return await _listened(session, {project_id}, set(names), None)


async def _listened(
    session: AsyncSession, project_ids: set[uuid.UUID], names: set[str], user_ids: set[uuid.UUID] | None
) -> set[str]:
    """Which of `names` a dynamic list's rule, a live journey's entrance or an open run's `exit_on`
    (of these users, or of any user in the projects) listens for: one statement for all the names."""
    parameters = {"names": sorted(names), "projects": list(project_ids)}
    if user_ids is None:
        rows = await _LISTENED_IN_PROJECTS.execute(session, parameters)
    else:
        rows = await _LISTENED_BY_USERS.execute(session, {**parameters, "users": list(user_ids)})
    return {name for (name,) in rows}


def _listened_statement(runs_of: ColumnElement[bool]) -> Prepared:
    """Built once, with array parameters: this runs at every commit that emits events, and building a
    statement (and expanding `IN` lists) each time cost nearly as much Python as executing it (py-spy)."""
    lists = select(List.id).where(
        List.project_id == any_(_PROJECTS), List.kind == "dynamic", any_(List.event_names) == _CANDIDATE
    )
    journeys = select(Journey.id).where(
        Journey.project_id == any_(_PROJECTS), Journey.status == "live", any_(Journey.entrance_events) == _CANDIDATE
    )
    runs = select(JourneyRun.id).where(
        JourneyRun.ended_at.is_(None), any_(JourneyRun.exit_events) == _CANDIDATE, runs_of
    )
    return Prepared(select(_CANDIDATE).where(lists.exists() | journeys.exists() | runs.exists()))


_CANDIDATE = func.unnest(bindparam("names", type_=ARRAY(Text))).table_valued("name").alias("candidate").c.name
_PROJECTS = bindparam("projects", type_=ARRAY(Uuid))
_LISTENED_IN_PROJECTS = _listened_statement(JourneyRun.project_id == any_(_PROJECTS))
_LISTENED_BY_USERS = _listened_statement(JourneyRun.user_id == any_(bindparam("users", type_=ARRAY(Uuid))))
_events = table_of(Event)
_MARK_DISPATCHED = Prepared(
    update(_events).where(_events.c.id == any_(bindparam("ids", type_=ARRAY(Uuid)))).values(dispatched=True)
)
