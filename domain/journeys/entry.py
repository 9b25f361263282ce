"""Entering journeys, and telling running runs about the events they exit on.

Called inside the transaction that records an event. Runs are admitted under a per-(journey, user)
advisory lock, so the re-entry rules hold without a check-then-act race: a burst of identical events
admits one run. Admitted runs are recorded in the unit of work: the journeys area walks them to their
first wait (`walk.walk_admitted`) and their workflows start after commit; a run whose start was lost
is started by the sweeper, because its row says it has not started yet.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, Uuid, any_, bindparam, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.prepared import Prepared
from domain.base import advisory_lock
from domain.events.service import emit_system_event
from domain.journeys.definition import Definition, Entrance, parse_definition
from domain.journeys.models import Journey, JourneyRun, JourneyVersion
from domain.journeys.payloads import ExitRequest, JourneyRunInput, run_summary, run_workflow_id
from domain.lists.facts import load_facts
from domain.rules.engine import EventFact, UserFacts, matches
from domain.rules.model import Rule
from domain.schedules.recurrence import ZERO_OFFSET, parse_signed_offset
from domain.unit_of_work import Admission, ExitSignal, UnitOfWork
from domain.users.queries import load_user, user_label


@dataclass
class Occurrence:
    """The event being evaluated."""

    id: uuid.UUID
    name: str
    data: dict[str, Any]
    at: datetime

    @property
    def fact(self) -> EventFact:
        return EventFact(self.name, self.data, self.at)


@dataclass(frozen=True)
class PublishedVersion:
    """A frozen journey version: immutable, so read once per process and kept."""

    journey_id: uuid.UUID
    version: int
    steps: dict[str, Any]
    exit_on: list[Any]
    definition: Definition


_published: dict[tuple[uuid.UUID, int], PublishedVersion] = {}


async def published(session: AsyncSession, journey_id: uuid.UUID, version: int) -> PublishedVersion:
    key = (journey_id, version)
    if key not in _published:
        row = await session.get(JourneyVersion, key)
        if row is None:
            raise LookupError(f"journey {journey_id} has no version {version}")
        if len(_published) > 1000:
            _published.clear()
        _published[key] = PublishedVersion(
            journey_id, version, row.steps, list(row.exit_on), parse_definition(row.steps, row.exit_on)
        )
    return _published[key]


@dataclass(frozen=True)
class LiveJourney:
    id: uuid.UUID
    project_id: uuid.UUID
    name: str


async def live_journeys(
    session: AsyncSession, project_id: uuid.UUID, event_name: str, *, locking_for: uuid.UUID | None = None
) -> list[tuple[LiveJourney, PublishedVersion]]:
    """Live journeys with an entrance for this event name, and the version new entrants get.

    `locking_for`: a user the caller may admit. The admission lock of each journey found is taken for
    them in this statement, in journey order (so two transactions lock alike), sparing `admit` one."""
    found, params = _LIVE_JOURNEYS, {"project_id": project_id, "event_name": event_name}
    if locking_for is not None:
        found, params["user_id"] = _LIVE_JOURNEYS_LOCKING, str(locking_for)
    rows = await found.execute(session, params)
    return [
        (LiveJourney(row.id, project_id, row.name), await published(session, row.id, row.published_version))
        for row in rows
    ]


def _admission_lock(journey_id: ColumnElement[uuid.UUID], user_id: ColumnElement[str]) -> ColumnElement[Any]:
    """Take the advisory lock admissions of one user into one journey serialize on (held to commit)."""
    return advisory_lock(cast(journey_id, Text).concat(user_id))


# Statements on every event's path are built once: building one and its cache key is Python work.
_live_journeys = (
    select(Journey.id, Journey.published_version, Journey.name)
    .where(
        Journey.project_id == bindparam("project_id", type_=Uuid),
        Journey.status == "live",
        any_(Journey.entrance_events) == bindparam("event_name", type_=Text),
    )
    .order_by(Journey.id)
)
_LIVE_JOURNEYS = Prepared(_live_journeys)
_ordered = _live_journeys.subquery()
_locked = _admission_lock(_ordered.c.id, bindparam("user_id", type_=Text))
_LIVE_JOURNEYS_LOCKING = Prepared(select(_ordered.c.id, _ordered.c.published_version, _ordered.c.name, _locked))
_RUNS_SO_FAR = Prepared(
    select(
        func.count(),
        func.count().filter(JourneyRun.ended_at.is_(None)),
        func.count().filter(JourneyRun.entering_event_id == bindparam("event_id", type_=Uuid)),
        user_label(bindparam("user_id", type_=Uuid)),  # for the run's summary, spared a query of its own
    ).where(
        JourneyRun.journey_id == bindparam("journey_id", type_=Uuid),
        JourneyRun.user_id == bindparam("user_id", type_=Uuid),
    )
)
_OPEN_RUNS_EXITING_ON = Prepared(
    select(JourneyRun.workflow_id, JourneyRun.journey_id, JourneyRun.version).where(
        JourneyRun.user_id == bindparam("user_id", type_=Uuid),
        JourneyRun.ended_at.is_(None),
        any_(JourneyRun.exit_events) == bindparam("event_name", type_=Text),
    )
)


class _Facts:
    """The user's facts, loaded at most once per evaluation and only if a condition needs them."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
        self.session, self.user_id, self.now = session, user_id, now
        self._facts: UserFacts | None = None

    async def matches(self, rule: Rule | None, event: EventFact | None) -> bool:
        if rule is None:
            return True
        if self._facts is None:
            user = await load_user(self.session, self.user_id)
            if user is None:
                return False
            self._facts = await load_facts(self.session, user, [rule], self.now)
        return matches(rule, self._facts, self.now, event)


async def live_entrance(
    session: AsyncSession, journey_id: uuid.UUID, step_id: str
) -> tuple[Journey, PublishedVersion, Entrance] | None:
    """A live journey's entrance by step id, in the version new entrants get; None if paused or gone."""
    journey = await session.get(Journey, journey_id)
    if journey is None or journey.status != "live" or journey.published_version is None:
        return None
    version = await published(session, journey.id, journey.published_version)
    entrance = next((e for e in version.definition.entrances if e.id == step_id), None)
    return (journey, version, entrance) if entrance is not None else None


async def has_member_entrances(session: AsyncSession, project_id: uuid.UUID, event_name: str) -> bool:
    """Whether a live journey enters organization members on this organization event."""
    return any(
        entrance.organization and entrance.event == event_name
        for _, version in await live_journeys(session, project_id, event_name)
        for entrance in version.definition.entrances
    )


async def enter_for_event(
    work: UnitOfWork, project_id: uuid.UUID, user_id: uuid.UUID, event: Occurrence, *, organization: bool = False
) -> None:
    """Admit the user into every live journey with an entrance for this event whose condition holds.
    `organization`: the event happened to one of the user's organizations (member entrances)."""
    facts = _Facts(work.session, user_id, event.at)
    for journey, version in await live_journeys(work.session, project_id, event.name, locking_for=user_id):
        for entrance in version.definition.entrances:
            if entrance.event != event.name or entrance.organization != organization:
                continue
            if entrance.trigger not in ("event", "scheduled"):
                continue
            if entrance.trigger == "scheduled" and not _same_fire(entrance, event.data):
                continue
            if not await facts.matches(entrance.condition, event.fact):
                continue
            if organization and not await facts.matches(entrance.member_rule, None):
                continue
            data = {entrance.data_key: event.data} if entrance.data_key else {}
            await admit(work, journey, version, entrance, user_id, data, event_id=event.id, at=event.at, locked=True)


def _same_fire(entrance: Entrance, data: dict[str, Any]) -> bool:
    """A `scheduled.<name>` event is one fire of one offset; the entrance wants its own offset's fire."""
    try:
        fired = parse_signed_offset(data["offset"]) if isinstance(data.get("offset"), str) else ZERO_OFFSET
    except ValueError:
        return False
    return fired.delta == entrance.fire_offset().delta


def kept_out(entrance: Entrance, runs: int, open_runs: int) -> str | None:
    """Why the entrance's re-entry rule keeps out a user with `runs` runs of the journey so far, `open_runs`
    of them still inside; None: it lets them in."""
    if runs and not entrance.multiple:
        return "The user was in this journey before, and it lets each user in once."
    if open_runs and not entrance.simultaneous:
        return "The user is in it now, and it lets them in again only after."
    return None


async def admit(
    work: UnitOfWork,
    journey: LiveJourney | Journey,
    version: PublishedVersion,
    entrance: Entrance,
    user_id: uuid.UUID,
    data: dict[str, Any],
    *,
    event_id: uuid.UUID | None = None,
    at: datetime | None = None,
    locked: bool = False,
) -> JourneyRunInput | None:
    """Create the user's run if the entrance's re-entry rule allows it, else None.

    - not `multiple`: once ever (the runs table remembers, past Temporal's retention);
    - `multiple` without `simultaneous`: again only once the previous run has ended;
    - both: always — but once per triggering event, so a retried evaluation admits nothing twice.

    `at`: the moment of admission (now, unless the caller runs on another clock). `locked`: this
    transaction holds the (journey, user) admission lock already (`live_journeys(locking_for=…)`).
    """
    session = work.session
    if not locked:
        await session.execute(select(_admission_lock(literal(journey.id, Uuid), literal(str(user_id)))))
    params = {"journey_id": journey.id, "user_id": user_id, "event_id": event_id}
    (runs,) = await _RUNS_SO_FAR.execute(session, params)
    total, open_runs, from_this_event, user = runs[0], runs[1], runs[2] or 0, runs[3] or str(user_id)
    if from_this_event or kept_out(entrance, total, open_runs):
        return None
    run_id = uuid.uuid4()
    workflow_id = run_workflow_id(str(journey.id), str(user_id), total + 1)
    row = JourneyRun(
        id=run_id,
        project_id=journey.project_id,
        journey_id=journey.id,
        version=version.version,
        user_id=user_id,
        workflow_id=workflow_id,
        entrance_step=entrance.id,
        entering_event_id=event_id,
        entrance_data=data,
        status="active",
        current_step=entrance.id,
        exit_events=sorted({exit.event for exit in version.definition.exit_on}),
    )
    session.add(row)
    emit_system_event(
        work,
        journey.project_id,
        "journey.entered",
        {"journey_id": str(journey.id), "run_id": str(run_id), "entrance": entrance.id},
        user_id=user_id,
    )
    run = run_input(version, journey.project_id, run_id, user_id, entrance, data)
    summary = run_summary(journey.name, user, entrance.id)
    work.admissions.append(Admission(workflow_id, run, row, at or datetime.now(UTC), summary))
    return run


def run_input(
    version: PublishedVersion,
    project_id: uuid.UUID,
    run_id: uuid.UUID,
    user_id: uuid.UUID,
    entrance: Entrance,
    data: dict[str, Any],
) -> JourneyRunInput:
    delay = entrance.start_delay().total_seconds()
    return JourneyRunInput(
        project_id=str(project_id),
        journey_id=str(version.journey_id),
        version=version.version,
        run_id=str(run_id),
        user_id=str(user_id),
        entrance_step=entrance.id,
        steps=version.steps,
        exit_on=list(version.exit_on),
        data=data,
        start_delay_seconds=delay,
    )


async def notify_exits(work: UnitOfWork, user_id: uuid.UUID, event: Occurrence) -> None:
    """Queue an exit signal for each of the user's open runs whose journey exits on this event."""
    session = work.session
    runs = await _OPEN_RUNS_EXITING_ON.execute(session, {"user_id": user_id, "event_name": event.name})
    facts = _Facts(session, user_id, event.at)
    for workflow_id, journey_id, version in runs:
        for exit_on in (await published(session, journey_id, version)).definition.exit_on:
            if exit_on.event == event.name and await facts.matches(exit_on.condition, event.fact):
                request = ExitRequest(event_id=str(event.id), event_name=event.name)
                work.exits.append(ExitSignal(workflow_id, request))
                break
