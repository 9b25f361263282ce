"""The database side of a run's steps: what each step does, once the walk has recorded the visit.

Idempotent for one (run, visit): what a step writes is either a diff (Update) or guarded by the
visit's key.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, Uuid, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid
from core.prepared import Prepared
from domain.base import utcnow
from domain.events.service import emit_system_event
from domain.journeys.definition import Balancer, Delay, EmitEvent, Entrance, Gate, Link, Step, Update
from domain.journeys.engine import balancer_window, resume_at
from domain.journeys.entry import admit, published
from domain.journeys.models import BalancerCount, Journey, JourneyRun, JourneyStepVisit
from domain.journeys.payloads import FinishInput
from domain.lists.facts import load_facts
from domain.rules.analysis import walk
from domain.rules.engine import UserFacts
from domain.rules.explain import explain
from domain.rules.model import EventRule, Rule, VisitedStep
from domain.template_context import template_context
from domain.templating import render, render_json
from domain.unit_of_work import UnitOfWork
from domain.users.models import User
from domain.users.queries import load_user
from domain.users.service import update_user_data


@dataclass
class StepJob:
    """One step of a run, as the walk hands it over: the visit `seq` is already recorded."""

    project_id: str
    journey_id: str
    run_id: str
    user_id: str
    step_id: str
    step: dict[str, Any]
    seq: int
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepOutcome:
    passed: bool | None = None  # gates
    finding: dict[str, Any] | None = None  # gates: each condition's answer and the value it saw
    resume_at: str | None = None  # delays, and balancers over their limit (ISO 8601)
    chosen: str | None = None  # balancers


@dataclass
class RunContext:
    project_id: uuid.UUID
    journey_id: uuid.UUID
    user: User | None  # loaded only for the steps that read it
    # The run's row when this is its first walk, in the transaction that admits it (not yet written).
    admitting: JourneyRun | None = None

    def reader(self) -> User:
        """The user, for a step that reads them: the walk loads them first (`needs_user`)."""
        assert self.user is not None, "a step that reads the user ran before the user was loaded"
        return self.user


async def run_user(session: AsyncSession, run_id: str, user_id: str) -> User | None:
    """The run's user while the run is open; None once it has ended or is gone."""
    open_run = await session.scalar(
        select(JourneyRun.id).where(JourneyRun.id == uuid.UUID(run_id), JourneyRun.ended_at.is_(None))
    )
    return await load_user(session, uuid.UUID(user_id)) if open_run is not None else None


# Steps that read the user's profile (timezone, facts, templates); the others skip loading it.
USES_USER = frozenset({"delay", "gate", "update", "event", "link"})


def needs_user(raw: dict[str, Any]) -> bool:
    """Whether the step reads the user's profile. A plain `duration` delay does not (no timezone, no
    template, no excluded days)."""
    if raw.get("type") == "delay":
        duration = raw.get("duration")
        return not (isinstance(duration, str) and "{" not in duration and not raw.get("exclusion_days"))
    return raw.get("type") in USES_USER


async def do_step(work: UnitOfWork, context: RunContext, step: Step, job: StepJob, now: datetime) -> StepOutcome:
    """The database work of one step (the visit is already recorded)."""
    session = work.session
    match step:
        case Delay():
            return StepOutcome(resume_at=await wake_time(session, context.user, step, job.data, now))
        case Gate():
            facts = await load_facts(session, context.reader(), [step.rule], now)
            facts.journey = job.data
            if reads_the_run(step.rule):
                run_id = uuid.UUID(job.run_id)
                await load_run_facts(session, facts, uuid.UUID(job.journey_id), uuid.UUID(job.user_id), run_id)
            finding = explain(step.rule, facts, now)
            return StepOutcome(passed=finding.passed, finding=finding.as_json())
        case Update():
            body = await rendered_body(session, context.reader(), step.body, job.data, now)
            if not isinstance(body, dict):
                raise Invalid(f"steps.{step.id}.body: must render to a JSON object, got {type(body).__name__}")
            await update_user_data(work, context.reader(), body)
            return StepOutcome()
        case EmitEvent():
            user = context.reader()
            body = await rendered_body(session, user, step.body or {}, job.data, now)
            data = body if isinstance(body, dict) else {"value": body}
            emit_system_event(work, context.project_id, step.name, data, user_id=user.id)
            return StepOutcome()
        case Balancer():
            return await _balance(session, context.journey_id, step, now)
        case Link():
            await _link(work, context, step, job.data)
            return StepOutcome()
    return StepOutcome()


def reads_the_run(rule: Rule) -> bool:
    """Whether a gate's rule counts visits or events since the run entered."""
    return any(isinstance(n, VisitedStep) or (isinstance(n, EventRule) and n.since_entered) for n in walk(rule))


async def rendered_body(session: AsyncSession, user: User, template: Any, data: dict[str, Any], now: datetime) -> Any:
    """An update's or an event step's JSON body, its Liquid rendered for the user and the run's data."""
    return render_json(template, await template_context(session, user, data, now, sources=template), "body")


async def load_run_facts(
    session: AsyncSession, facts: UserFacts, journey_id: uuid.UUID, user_id: uuid.UUID, run_id: uuid.UUID | None
) -> None:
    """How often all the user's runs of the journey visited each step; with `run_id`, also when that run
    entered and how often it visited each step."""
    if run_id is not None:
        facts.entered_at = await session.scalar(select(JourneyRun.created_at).where(JourneyRun.id == run_id))
    counts = await session.execute(
        select(
            JourneyStepVisit.step_id,
            func.count().filter(JourneyStepVisit.run_id == run_id),
            func.count(),
        )
        .join(JourneyRun, JourneyRun.id == JourneyStepVisit.run_id)
        .where(JourneyRun.journey_id == journey_id, JourneyRun.user_id == user_id)
        .group_by(JourneyStepVisit.step_id)
    )
    for step_id, in_run, in_journey in counts:
        facts.journey_visits[step_id] = in_journey
        if run_id is not None:
            facts.run_visits[step_id] = in_run


async def wake_time(session: AsyncSession, user: User | None, step: Delay, data: dict[str, Any], now: datetime) -> str:
    """When a run entering the delay now goes on (ISO 8601): its Liquid rendered, in the user's time zone."""
    raw = step.duration or step.until_time or step.until_date or ""
    assert user is not None or "{" not in raw, "a delay with a template ran before the user was loaded"
    value = render(raw, await template_context(session, user, data, now, sources=raw)) if user and "{" in raw else raw
    try:
        wake = resume_at(step, value.strip(), now, user.timezone if user else None)
    except ValueError:
        raise Invalid(f"steps.{step.id}: {value!r} is not a valid delay") from None
    return wake.isoformat()


async def _balance(session: AsyncSession, journey_id: uuid.UUID, step: Balancer, now: datetime) -> StepOutcome:
    """Send the run down the path with the fewest runs this window; if every path is at its limit,
    wait for the next window."""
    start, next_window = balancer_window(step, now)
    key = {"journey_id": journey_id, "step_id": step.id, "window_start": start}
    await session.execute(
        insert(BalancerCount)
        .values([{**key, "path": path, "count": 0} for path in step.paths])
        .on_conflict_do_nothing()
    )
    rows = await session.scalars(select(BalancerCount).filter_by(**key).with_for_update())
    by_path = {row.path: row for row in rows}
    path = min(step.paths, key=lambda p: (by_path[p].count, step.paths.index(p)))
    if step.limit is not None and by_path[path].count >= step.limit:
        return StepOutcome(resume_at=next_window.isoformat())
    by_path[path].count += 1
    return StepOutcome(chosen=path)


async def _link(work: UnitOfWork, context: RunContext, step: Link, data: dict[str, Any]) -> None:
    """Enter the user into the target journey (at its `none` entrance, else its first one)."""
    session = work.session
    target = await session.get(Journey, uuid.UUID(step.journey_id))
    if target is None or target.project_id != context.project_id or target.published_version is None:
        return
    version = await published(session, target.id, target.published_version)
    entrances: list[Entrance] = version.definition.entrances
    entrance = next((e for e in entrances if e.trigger == "none"), entrances[0])
    await admit(work, target, version, entrance, context.reader().id, data)


# Built once: building an update and its cache key is Python work at the end of every run. Prepared, so
# a run admitted in this transaction keeps its ORM object as it was: nothing reads its status after.
_END_RUN = Prepared(
    update(JourneyRun)
    .where(JourneyRun.id == bindparam("run_id", type_=Uuid), JourneyRun.ended_at.is_(None))
    .values(
        status=bindparam("status"),
        exit_reason=bindparam("reason"),
        ended_at=bindparam("now"),
        current_step=func.coalesce(bindparam("step", type_=String), JourneyRun.current_step),
    )
    .returning(JourneyRun.project_id, JourneyRun.user_id)
)


async def end_run(work: UnitOfWork, job: FinishInput) -> None:
    """Mark the run ended and record `journey.completed` or `journey.exited`; a no-op if it already ended.
    One statement: the update takes the row's lock and tests that it is still open."""
    params = {
        "run_id": uuid.UUID(job.run_id),
        "status": job.status,
        "reason": job.reason,
        "step": job.step_id,
        "now": utcnow(),
    }
    ended = next(iter(await _END_RUN.execute(work.session, params)), None)
    if ended is None:
        return
    data = {"journey_id": job.journey_id, "run_id": job.run_id, "step": job.step_id}
    if job.reason:
        data["reason"] = job.reason
    emit_system_event(work, ended.project_id, f"journey.{job.status}", data, user_id=ended.user_id)
