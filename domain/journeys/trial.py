"""A journey tried on one user before it runs: the path they would take now, each gate's conditions with
the values they saw, what each step would do. It reads and never writes: nothing is sent, recorded or
changed, and no run starts.

Time stands still in a trial: a delay says when the run would go on, and the gates after it are judged
on the user as they are now.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid
from domain.base import utcnow
from domain.journeys.definition import (
    Action,
    Balancer,
    Definition,
    Delay,
    EmitEvent,
    Entrance,
    Exit,
    Experiment,
    Gate,
    Link,
    Send,
    Update,
    parse_definition,
)
from domain.journeys.engine import next_step
from domain.journeys.entry import kept_out
from domain.journeys.execution import load_run_facts, reads_the_run, rendered_body, wake_time
from domain.journeys.models import Journey, JourneyRun
from domain.journeys.references import journey_references
from domain.journeys.service import get_journey
from domain.lists.facts import load_facts
from domain.messaging.sending import send_check
from domain.rules.engine import EventFact, UserFacts
from domain.rules.explain import explain, shown_text
from domain.rules.references import check_references
from domain.users.models import User
from domain.users.service import get_user

# A trial follows at most this many steps, and stops where the path comes back to a step this often.
MOST_STEPS = 100
MOST_RETURNS = 3


@dataclass
class TrialStep:
    step_id: str
    type: str
    says: str  # what the step would do for this user, in a sentence
    next: str | None = None
    gate: dict[str, Any] | None = None  # a gate's (or the entrance's) conditions, answered


@dataclass
class Trial:
    enters: bool  # whether the entrance would let the user in now
    steps: list[TrialStep] = field(default_factory=list)
    ends: str = ""  # how the path ends, in a sentence


@dataclass
class _Walk:
    """What the trial knows as it goes: the user, their facts, the run's data and visits."""

    session: AsyncSession
    project_id: uuid.UUID
    journey_id: uuid.UUID
    user: User
    facts: UserFacts
    data: dict[str, Any]
    now: datetime
    visits: Counter[str] = field(default_factory=Counter)


async def try_journey(
    session: AsyncSession,
    project_id: uuid.UUID,
    journey_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    steps: dict[str, Any] | None = None,
    exit_on: list[Any] | None = None,
    entrance_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> Trial:
    """Try the journey's draft (or `steps`, unsaved edits) on the user, entering at `entrance_id` (else the
    first entrance) with `data` as the run's journey data (what the entering event would bring)."""
    journey = await get_journey(session, project_id, journey_id)
    raw_steps = steps if steps is not None else journey.draft.get("steps", {})
    definition = parse_definition(raw_steps, exit_on if steps is not None else journey.draft.get("exit_on"))
    await check_references(session, project_id, journey_references(definition))
    entrance = _entrance(definition, entrance_id)
    user = await get_user(session, project_id, user_id)
    now = utcnow()
    rules = [s.rule for s in definition.steps.values() if isinstance(s, Gate)]
    rules += [r for r in (entrance.condition, entrance.member_rule) if r is not None]
    facts = await load_facts(session, user, rules, now)
    if any(reads_the_run(rule) for rule in rules):
        await load_run_facts(session, facts, journey.id, user.id, None)
    facts.entered_at = now
    walk = _Walk(session, project_id, journey.id, user, facts, dict(data or {}), now)
    trial = Trial(enters=True)
    first = await _enter(walk, journey, entrance, trial)
    step_id = first if trial.enters else None
    while step_id is not None and len(trial.steps) < MOST_STEPS:
        walk.visits[step_id] += 1
        if walk.visits[step_id] > MOST_RETURNS:
            trial.ends = f"The path comes back to {step_id} again and again; the trial stops there."
            return trial
        facts.run_visits[step_id] = walk.visits[step_id]
        facts.journey_visits[step_id] = facts.journey_visits.get(step_id, 0) + 1
        tried = await _try_step(walk, definition, step_id)
        trial.steps.append(tried)
        step_id = tried.next
    if not trial.ends:
        trial.ends = _ending(trial)
    return trial


def _entrance(definition: Definition, entrance_id: str | None) -> Entrance:
    entrances = definition.entrances
    if entrance_id is None:
        return entrances[0]
    found = next((e for e in entrances if e.id == entrance_id), None)
    if found is None:
        raise Invalid(f"entrance: the journey has no entrance {entrance_id!r}")
    return found


async def _enter(walk: _Walk, journey: Journey, entrance: Entrance, trial: Trial) -> str | None:
    """Record the entrance as the trial's first step; `trial.enters` False if its condition or its
    re-entry rule would keep the user out now."""
    event = EventFact(entrance.event or "", walk.data.get(entrance.data_key, {}) if entrance.data_key else {}, walk.now)
    says = _how_they_enter(entrance)
    finding = None
    for rule in (entrance.condition, entrance.member_rule):
        if rule is None:
            continue
        finding = explain(rule, walk.facts, walk.now, event if rule is entrance.condition else None)
        if not finding.passed:
            trial.enters = False
            says += " Its condition keeps this user out now."
    total, still_open = (
        await walk.session.execute(
            select(func.count(), func.count().filter(JourneyRun.ended_at.is_(None))).where(
                JourneyRun.journey_id == journey.id, JourneyRun.user_id == walk.user.id
            )
        )
    ).one()
    if refusal := kept_out(entrance, total, still_open):
        trial.enters, says = False, f"{says} {refusal}"
    trial.steps.append(TrialStep(entrance.id, "entrance", says, entrance.next, finding.as_json() if finding else None))
    if not trial.enters:
        trial.ends = "The user would not enter."
    return entrance.next


def _how_they_enter(entrance: Entrance) -> str:
    match entrance.trigger:
        case "event" | "scheduled":
            whose = "an organization's" if entrance.organization else "their"
            return f"Enters on {whose} event {entrance.event}."
        case "schedule":
            return f"Enters the members of a list every {entrance.interval or 'fire'} of its schedule."
    return "Enters when pushed in by hand or by a link from another journey."


async def _try_step(walk: _Walk, definition: Definition, step_id: str) -> TrialStep:
    step = definition.steps[step_id]
    match step:
        case Gate():
            walk.facts.journey = walk.data
            finding = explain(step.rule, walk.facts, walk.now)
            then = next_step(step, passed=finding.passed)
            says = "The condition holds: yes." if finding.passed else "The condition does not hold: no."
            return TrialStep(step_id, "gate", says, then, finding.as_json())
        case Delay():
            wake = datetime.fromisoformat(await wake_time(walk.session, walk.user, step, walk.data, walk.now))
            return TrialStep(step_id, "delay", f"Waits until {wake.astimezone(UTC):%Y-%m-%d %H:%M} UTC.", step.next)
        case Send():
            return TrialStep(step_id, "send", await _send(walk, step), step.next)
        case Update():
            body = await rendered_body(walk.session, walk.user, step.body, walk.data, walk.now)
            if isinstance(body, dict):
                walk.facts.data = {**walk.facts.data, **body}
            return TrialStep(step_id, "update", f"Updates the user's data with {shown_text(body)}.", step.next)
        case EmitEvent():
            body = await rendered_body(walk.session, walk.user, step.body or {}, walk.data, walk.now)
            return TrialStep(step_id, "event", f"Records the event {step.name} with {shown_text(body)}.", step.next)
        case Action():
            says = f"Calls {step.method} {step.url} (not in a trial: what it answers is unknown)."
            return TrialStep(step_id, "action", says, step.next)
        case Experiment():
            heaviest = max(step.variants, key=lambda v: v.ratio)
            shares = ", ".join(f"{v.next or 'the end'} {v.ratio:g}" for v in step.variants)
            says = f"Chooses a path at random by weight ({shares}); the trial follows the heaviest."
            return TrialStep(step_id, "experiment", says, heaviest.next)
        case Balancer():
            says = f"Spreads runs across {len(step.paths)} paths; the trial follows the first."
            return TrialStep(step_id, "balancer", says, step.paths[0])
        case Link():
            target = await walk.session.get(Journey, uuid.UUID(step.journey_id))
            name = target.name if target is not None else "a deleted journey"
            return TrialStep(step_id, "link", f"After {step.delay}, enters the journey {name}.")
        case Exit():
            return TrialStep(step_id, "exit", "Ends the run.")
    return TrialStep(step_id, type(step).__name__.lower(), "Goes on.", next_step(step))


async def _send(walk: _Walk, step: Send) -> str:
    campaign, skipped = await send_check(walk.session, walk.project_id, step.campaign_id, walk.user)
    name = campaign.name if campaign is not None else step.campaign_id
    if skipped:
        return f"Would skip the campaign {name}: {skipped}."
    if campaign is not None and campaign.channel in ("email", "sms"):
        address = walk.user.email if campaign.channel == "email" else walk.user.phone
        return f"Would send the campaign {name} ({campaign.channel}) to {address}."
    return f"Would send the campaign {name} ({campaign.channel if campaign else 'unknown channel'})."


def _ending(trial: Trial) -> str:
    last = trial.steps[-1] if trial.steps else None
    if len(trial.steps) >= MOST_STEPS:
        return f"The trial stops after {MOST_STEPS} steps."
    if last is not None and last.type == "link":
        return "The run ends by entering another journey."
    return "The run completes."
