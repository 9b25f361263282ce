"""Journeys: create and edit drafts, publish versions, pause, delete; runs and stats."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, Invalid, NotFound
from domain.base import utcnow
from domain.journeys.definition import Entrance, parse_definition
from domain.journeys.entry import admit, published, run_input
from domain.journeys.models import Journey, JourneyCount, JourneyRun, JourneyStepVisit, JourneyVersion
from domain.journeys.payloads import run_summary
from domain.journeys.references import journey_references
from domain.journeys.schemas import JourneyIn, JourneyOut, JourneyStats, RunOut, StepVisitOut, UserRunOut, VersionOut
from domain.journeys.walk import walk_admitted
from domain.rules.references import check_references
from domain.schedules.definitions import ensure_offset
from domain.schedules.payloads import ANNIVERSARY_EVENT
from domain.schedules.schemas import Entity
from domain.unit_of_work import RunStart, Termination, UnitOfWork
from domain.users.queries import user_label
from domain.users.service import get_user


@dataclass
class EntranceSchedules:
    """Recurring list entrances whose Temporal Schedules must exist (`active`) or go (`retired` step ids)."""

    active: list[Entrance] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    # Schedule definitions that gained an offset for a `scheduled.<name>` entrance: re-plan their assignments.
    replan: list[uuid.UUID] = field(default_factory=list)


async def _scheduled_entrances(session: AsyncSession, journey: Journey) -> list[Entrance]:
    if journey.published_version is None:
        return []
    version = await published(session, journey.id, journey.published_version)
    return [e for e in version.definition.entrances if e.trigger == "schedule"]


async def _draft(session: AsyncSession, project_id: uuid.UUID, payload: JourneyIn) -> dict[str, object]:
    """The draft to store: its graph checked (a bad one is refused naming the step), and everything it
    names (campaigns, journeys, lists) found in the project."""
    definition = parse_definition(payload.steps, payload.exit_on)
    await check_references(session, project_id, journey_references(definition))
    return {"steps": payload.steps, "exit_on": payload.exit_on}


async def create_journey(session: AsyncSession, project_id: uuid.UUID, payload: JourneyIn) -> Journey:
    journey = Journey(
        id=uuid.uuid4(),
        project_id=project_id,
        name=payload.name,
        description=payload.description,
        status="draft",
        draft=await _draft(session, project_id, payload),
        entrance_events=[],
    )
    session.add(journey)
    await session.flush()
    return journey


async def get_journey(session: AsyncSession, project_id: uuid.UUID, journey_id: uuid.UUID) -> Journey:
    journey = await session.get(Journey, journey_id)
    if journey is None or journey.project_id != project_id:
        raise NotFound(f"journey {journey_id} not found")
    return journey


async def update_journey(
    session: AsyncSession, project_id: uuid.UUID, journey_id: uuid.UUID, payload: JourneyIn
) -> Journey:
    """Replace the draft. Live runs and new entrants keep the published version until the next publish."""
    journey = await get_journey(session, project_id, journey_id)
    draft = await _draft(session, project_id, payload)
    journey.name, journey.description, journey.draft = payload.name, payload.description, draft
    journey.updated_at = utcnow()
    await session.flush()
    return journey


async def publish_journey(
    session: AsyncSession, project_id: uuid.UUID, journey_id: uuid.UUID
) -> tuple[Journey, EntranceSchedules]:
    """Freeze the draft as a new version (if it changed) and let users enter it."""
    journey = await get_journey(session, project_id, journey_id)
    definition = parse_definition(journey.draft["steps"], journey.draft.get("exit_on"))
    # What the draft named may have been deleted since it was saved.
    await check_references(session, project_id, journey_references(definition))
    before = {e.id for e in await _scheduled_entrances(session, journey)}
    current = (
        await session.get(JourneyVersion, (journey.id, journey.published_version))
        if journey.published_version
        else None
    )
    if current is None or current.steps != journey.draft["steps"] or current.exit_on != journey.draft["exit_on"]:
        version = (journey.published_version or 0) + 1
        session.add(
            JourneyVersion(
                journey_id=journey.id, version=version, steps=journey.draft["steps"], exit_on=journey.draft["exit_on"]
            )
        )
        journey.published_version = version
    journey.entrance_events = sorted({e.event for e in definition.entrances if e.event is not None})
    journey.status = "live"
    journey.updated_at = utcnow()
    await session.flush()
    active = [e for e in definition.entrances if e.trigger == "schedule"]
    replan = await _add_fire_offsets(session, project_id, definition.entrances)
    return journey, EntranceSchedules(active, sorted(before - {e.id for e in active}), replan)


async def _add_fire_offsets(session: AsyncSession, project_id: uuid.UUID, entrances: list[Entrance]) -> list[uuid.UUID]:
    """An entrance `offset: "-7 days"` on `scheduled.renewal` needs renewal's schedules to fire 7 days
    before: add that offset to the definition (created if needed). Returns definitions that changed."""
    changed = []
    for entrance in entrances:
        if entrance.trigger != "scheduled" or entrance.event is None or entrance.event == ANNIVERSARY_EVENT:
            continue
        entity: Entity = "organization" if entrance.organization else "user"
        name = entrance.event.removeprefix("scheduled.")
        schedule, added = await ensure_offset(session, project_id, entity, name, entrance.fire_offset())
        if added:
            changed.append(schedule.id)
    return changed


async def pause_journey(
    session: AsyncSession, project_id: uuid.UUID, journey_id: uuid.UUID
) -> tuple[Journey, EntranceSchedules]:
    """Stop new entries (recurring list entrances included); runs already inside continue. Publish to resume."""
    journey = await get_journey(session, project_id, journey_id)
    if journey.status != "live":
        raise Invalid(f"status: only a live journey can be paused (this one is {journey.status})")
    journey.status = "paused"
    journey.updated_at = utcnow()
    await session.flush()
    return journey, EntranceSchedules(retired=[e.id for e in await _scheduled_entrances(session, journey)])


async def delete_journey(work: UnitOfWork, project_id: uuid.UUID, journey_id: uuid.UUID) -> EntranceSchedules:
    """Delete the journey and its runs (the open ones are stopped after commit); returns the recurring
    entrances whose schedules go."""
    session = work.session
    journey = await get_journey(session, project_id, journey_id)
    await stop_open_runs(work, JourneyRun.journey_id == journey.id, "journey deleted")
    schedules = EntranceSchedules(retired=[e.id for e in await _scheduled_entrances(session, journey)])
    await session.delete(journey)
    await session.flush()
    return schedules


async def stop_open_runs(work: UnitOfWork, condition: ColumnElement[bool], reason: str) -> None:
    """The open runs matching `condition` are stopped once the unit of work commits."""
    query = select(JourneyRun.workflow_id).where(condition, JourneyRun.ended_at.is_(None))
    if workflow_ids := list(await work.session.scalars(query)):
        work.terminations.append(Termination(workflow_ids, reason))


async def project_journeys(session: AsyncSession, project_id: uuid.UUID) -> Sequence[Journey]:
    query = select(Journey).where(Journey.project_id == project_id).order_by(Journey.created_at)
    return (await session.scalars(query)).all()


def journey_out(journey: Journey) -> JourneyOut:
    return JourneyOut(
        id=journey.id,
        project_id=journey.project_id,
        name=journey.name,
        description=journey.description,
        status=journey.status,
        published_version=journey.published_version,
        steps=journey.draft.get("steps", {}),
        exit_on=journey.draft.get("exit_on", []),
        created_at=journey.created_at,
        updated_at=journey.updated_at,
    )


async def journey_runs(
    session: AsyncSession,
    journey: Journey,
    *,
    user_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    after: uuid.UUID | None,
    at_step: str | None = None,
) -> list[RunOut]:
    """Runs of a journey, oldest first; with their step history when filtered to one user. `at_step`:
    only the open runs standing at that step."""
    query = select(JourneyRun).where(JourneyRun.journey_id == journey.id)
    if at_step is not None:
        query = query.where(JourneyRun.current_step == at_step, JourneyRun.ended_at.is_(None))
    if user_id is not None:
        query = query.where(JourneyRun.user_id == user_id)
    if status is not None:
        query = query.where(JourneyRun.status == status)
    if after is not None:
        query = query.where(JourneyRun.id > after)
    runs = list(await session.scalars(query.order_by(JourneyRun.id).limit(limit)))
    history: dict[uuid.UUID, list[StepVisitOut]] = {run.id: [] for run in runs}
    if user_id is not None and runs:
        visits = await session.scalars(
            select(JourneyStepVisit).where(JourneyStepVisit.run_id.in_(history)).order_by(JourneyStepVisit.seq)
        )
        for visit in visits:
            outcome = visit.outcome or {}
            step = StepVisitOut(
                step_id=visit.step_id,
                entered_at=visit.entered_at,
                result=outcome.get("result"),
                next=outcome.get("next"),
                gate=outcome.get("gate"),
            )
            history[visit.run_id].append(step)
    return [RunOut.model_validate(run).model_copy(update={"history": history[run.id]}) for run in runs]


async def journey_counts(session: AsyncSession, journey_id: uuid.UUID) -> dict[str, int]:
    """The journey's counts by key, as its triggers keep them (a few rows, however many runs)."""
    rows = await session.execute(
        select(JourneyCount.key, func.sum(JourneyCount.n))
        .where(JourneyCount.journey_id == journey_id)
        .group_by(JourneyCount.key)
    )
    return {key: int(n) for key, n in rows}


async def journey_stats(session: AsyncSession, journey: Journey) -> JourneyStats:
    counts = await journey_counts(session, journey.id)

    def by_step(prefix: str) -> dict[str, int]:
        return {key.removeprefix(prefix): n for key, n in counts.items() if key.startswith(prefix) and n}

    return JourneyStats(
        entered=counts.get("entered", 0),
        active=counts.get("active", 0),
        completed=counts.get("completed", 0),
        exited=counts.get("exited", 0),
        steps=by_step("reached:"),
        waiting=by_step("waiting:"),
        exited_at=by_step("exited:"),
    )


async def enter_by_hand(
    work: UnitOfWork, project_id: uuid.UUID, journey_id: uuid.UUID, user_id: uuid.UUID, entrance_id: str | None
) -> RunStart:
    """Put a chosen user into a live journey (the console's "push a user in"): at the named entrance, else
    the one only links use, else the first; its re-entry rules apply as to any entry."""
    journey = await get_journey(work.session, project_id, journey_id)
    if journey.status != "live" or journey.published_version is None:
        raise Conflict(f"journey {journey_id} is {journey.status}: publish it before anyone can enter")
    version = await published(work.session, journey.id, journey.published_version)
    entrances = version.definition.entrances
    if entrance_id is not None:
        entrance = next((e for e in entrances if e.id == entrance_id), None)
        if entrance is None:
            raise Invalid(f"entrance: the journey has no entrance {entrance_id!r}")
    else:
        entrance = next((e for e in entrances if e.trigger == "none"), entrances[0])
    user = await get_user(work.session, project_id, user_id)
    if await admit(work, journey, version, entrance, user.id, {}) is None:
        raise Conflict("user_id: the entrance's re-entry rules keep this user out (they are in it, or were)")
    await walk_admitted(work)
    return work.runs[-1]


async def journey_versions(session: AsyncSession, project_id: uuid.UUID, journey_id: uuid.UUID) -> list[VersionOut]:
    """The published versions, newest first, each with the runs that entered with it (runs keep theirs)."""
    journey = await get_journey(session, project_id, journey_id)
    counts = await journey_counts(session, journey.id)
    versions = await session.scalars(
        select(JourneyVersion).where(JourneyVersion.journey_id == journey.id).order_by(JourneyVersion.version.desc())
    )
    return [
        VersionOut(version=v.version, published_at=v.created_at, steps=v.steps, exit_on=list(v.exit_on),
                   runs=counts.get(f"version:{v.version}", 0), open_runs=counts.get(f"open:{v.version}", 0))
        for v in versions
    ]  # fmt: skip


async def user_runs(session: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID, limit: int) -> list[UserRunOut]:
    """The user's runs in every journey, newest first (`ix_journey_runs_user_created` serves it)."""
    rows = await session.execute(
        select(Journey.id.label("journey_id"), Journey.name.label("journey_name"), JourneyRun.workflow_id,
               JourneyRun.version, JourneyRun.status, JourneyRun.current_step, JourneyRun.created_at,
               JourneyRun.ended_at)
        .join(Journey, Journey.id == JourneyRun.journey_id)
        .where(JourneyRun.user_id == user_id, JourneyRun.project_id == project_id)
        .order_by(JourneyRun.created_at.desc())
        .limit(limit)
    )  # fmt: skip
    return [UserRunOut.model_validate(row, from_attributes=True) for row in rows]


# The console's bulk actions reach at most this many runs per request (it says when there are more).
MOST_AT_ONCE = 10_000


async def runs_waiting_at(
    session: AsyncSession, project_id: uuid.UUID, journey_id: uuid.UUID, step_id: str
) -> tuple[list[RunStart], bool]:
    """The open runs standing at a step, as their workflows were started (for a signal-with-start), and
    whether there are more than `MOST_AT_ONCE`."""
    journey = await get_journey(session, project_id, journey_id)
    rows = list(
        await session.execute(
            select(JourneyRun, user_label(JourneyRun.user_id))
            .where(
                JourneyRun.journey_id == journey.id, JourneyRun.current_step == step_id, JourneyRun.ended_at.is_(None)
            )
            .order_by(JourneyRun.id)
            .limit(MOST_AT_ONCE + 1)
        )
    )
    starts = []
    for run, user in rows[:MOST_AT_ONCE]:
        version = await published(session, journey.id, run.version)
        entrance = next(e for e in version.definition.entrances if e.id == run.entrance_step)
        summary = run_summary(journey.name, user or str(run.user_id), entrance.id)
        starts.append(
            RunStart(
                run.workflow_id,
                run_input(version, project_id, run.id, run.user_id, entrance, run.entrance_data),
                summary,
            )
        )
    return starts, len(rows) > MOST_AT_ONCE
