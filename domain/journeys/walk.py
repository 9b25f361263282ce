"""A run's walk: the steps the database alone performs, one after another in one transaction, up to
where the run must wait (a delay, a full balancer, a link's delay), hand an HTTP action to the
workflow, deliver a message, or end.

Every visit records where it led. A retried walk finds those records and follows them instead of
deciding again: a gate evaluated before a crash keeps its answer, a balancer counts the run once, and
the send further down the path is the same send under the same key.
"""

import random
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.journeys.definition import Action, Balancer, Exit, Experiment, Link, Send, parse_step
from domain.journeys.engine import choose_variant, next_step
from domain.journeys.execution import USES_USER, RunContext, do_step, end_run, load_user
from domain.journeys.models import JourneyRun, JourneyStepVisit
from domain.journeys.pipeline import AdvanceInput, FinishInput, RunAdvance, SendInput, StepInput
from domain.messaging.sending import Links, Outgoing, SendOutcome, claim_send, finish_send
from domain.rules.durations import parse_span

# A walk this long hands back to the workflow (which checks `exit_on` and history size) and goes on.
MAX_STEPS = 100


@dataclass
class Claimed:
    """A send the walk stopped at: claimed under its key; the caller commits, delivers, and settles it."""

    send: SendInput
    outgoing: Outgoing
    then: str | None
    data_key: str | None


@dataclass
class Walked:
    advance: RunAdvance
    claimed: Claimed | None = None


async def walk(session: AsyncSession, job: AdvanceInput, links: Links, now: datetime) -> Walked:
    run = (
        await session.execute(
            select(JourneyRun.project_id, JourneyRun.journey_id, JourneyRun.ended_at, JourneyRun.status).where(
                JourneyRun.id == uuid.UUID(job.run_id)
            )
        )
    ).first()
    if run is None or run.ended_at is not None:  # ended meanwhile (a retried walk, the journey deleted)
        ended = run.status if run is not None and run.status in ("completed", "exited") else "exited"
        return Walked(RunAdvance(at=job.start, visits=job.visits, data=job.data, ended=ended))
    recorded = await _recorded_visits(session, job)
    context = RunContext(run.project_id, run.journey_id, None)  # type: ignore[arg-type]
    visits, data, step_id, waited = job.visits, dict(job.data), job.start, job.waited
    last = step_id
    for _ in range(MAX_STEPS):
        if step_id is None:
            await _end(session, job, "completed", last)
            return Walked(RunAdvance(at=last, visits=visits, data=data, ended="completed"))
        step = parse_step(step_id, job.steps[step_id])
        if isinstance(step, Link) and not waited:
            wake = now + parse_span(step.delay)
            return await _stop(
                session, job, RunAdvance(step_id, visits, data, then=step_id, resume_at=wake.isoformat())
            )
        seq = visits if waited and isinstance(step, Balancer) else visits + 1
        visits, waited, last = seq, False, step_id
        if (outcome := recorded.get(seq)) is not None:
            step_id = outcome.get("next")
            if isinstance(step, Send) and step.data_key:
                data[step.data_key] = outcome.get("result")
            if outcome.get("resume_at") and datetime.fromisoformat(outcome["resume_at"]) > now:
                return await _stop(
                    session, job, RunAdvance(last, visits, data, then=step_id, resume_at=outcome["resume_at"])
                )
            continue
        if job.steps[step_id].get("type") in USES_USER:
            context.user = context.user or await load_user(session, uuid.UUID(job.user_id))  # type: ignore[assignment]
            if context.user is None:
                await _end(session, job, "exited", step_id, "the user no longer exists")
                return Walked(RunAdvance(at=step_id, visits=visits, data=data, ended="exited"))
        single = StepInput(
            job.project_id, job.journey_id, job.run_id, job.user_id, step_id, job.steps[step_id], seq, data
        )
        match step:
            case Exit():
                await _record(session, context, single, now, {"next": None})
                await _end(session, job, "completed", step_id)
                return Walked(RunAdvance(at=step_id, visits=visits, data=data, ended="completed"))
            case Link():
                await _record(session, context, single, now, {"next": None})
                await do_step(session, context, step, single, now)
                await _end(session, job, "completed", step_id)
                return Walked(RunAdvance(at=step_id, visits=visits, data=data, ended="completed"))
            case Action():
                await _record(session, context, single, now, None)
                return await _stop(session, job, RunAdvance(step_id, visits, data, then=step.next, perform="action"))
            case Send():
                send = SendInput(job.project_id, job.run_id, job.user_id, step_id, seq, step.campaign_id, data)
                claim = await claim_send(session, send, links, now)
                if isinstance(claim, Outgoing):  # the caller commits, delivers and settles it
                    await _record(session, context, single, now, None)
                    stopped = await _stop(session, job, RunAdvance(step_id, visits, data))
                    stopped.claimed = Claimed(send, claim, step.next, step.data_key)
                    return stopped
                result = claim.as_result()
                if step.data_key:
                    data[step.data_key] = result
                await _record(session, context, single, now, {"next": step.next, "result": result})
                step_id = step.next
                continue
            case Experiment():
                chosen = choose_variant(step, random.Random(f"{job.run_id}/{seq}").random())
                await _record(session, context, single, now, {"next": chosen})
                step_id = chosen
                continue
        done = await do_step(session, context, step, single, now)
        if isinstance(step, Balancer) and done.resume_at is not None:  # every path full: wait, same visit
            await _record(session, context, single, now, None)
            return await _stop(session, job, RunAdvance(step_id, visits, data, then=step_id, resume_at=done.resume_at))
        step_id = next_step(step, passed=done.passed, chosen=done.chosen)
        await _record(session, context, single, now, {"next": step_id, "resume_at": done.resume_at})
        if done.resume_at is not None and datetime.fromisoformat(done.resume_at) > now:
            return await _stop(session, job, RunAdvance(last, visits, data, then=step_id, resume_at=done.resume_at))
    return await _stop(session, job, RunAdvance(step_id, visits, data, then=step_id))


async def settle_send(session: AsyncSession, job: AdvanceInput, claimed: Claimed, outcome: SendOutcome) -> AdvanceInput:
    """Record a delivered send (`email.sent`, the visit's outcome) and where the walk goes on from."""
    outcome = await finish_send(session, claimed.send, claimed.outgoing, outcome, datetime.now(UTC))
    result = outcome.as_result()
    data = dict(claimed.send.data)
    if claimed.data_key:
        data[claimed.data_key] = result
    await session.execute(
        update(JourneyStepVisit)
        .where(JourneyStepVisit.run_id == uuid.UUID(job.run_id), JourneyStepVisit.seq == claimed.send.seq)
        .values(outcome={"next": claimed.then, "result": result})
    )
    return replace(job, start=claimed.then, visits=claimed.send.seq, data=data, waited=False)


async def _recorded_visits(session: AsyncSession, job: AdvanceInput) -> dict[int, dict[str, Any]]:
    """Visits an earlier attempt of this walk already decided (normally none)."""
    rows = await session.execute(
        select(JourneyStepVisit.seq, JourneyStepVisit.outcome).where(
            JourneyStepVisit.run_id == uuid.UUID(job.run_id),
            JourneyStepVisit.seq >= job.visits,
            JourneyStepVisit.outcome.is_not(None),
        )
    )
    return {row.seq: row.outcome for row in rows}


async def _record(
    session: AsyncSession, context: RunContext, job: StepInput, now: datetime, outcome: dict[str, Any] | None
) -> None:
    """The visit, with where it led once that is known (a visit recorded in progress gets it later)."""
    statement = insert(JourneyStepVisit).values(
        run_id=uuid.UUID(job.run_id), seq=job.seq, journey_id=context.journey_id, step_id=job.step_id,
        entered_at=now, outcome=outcome,
    )  # fmt: skip
    if outcome is None:
        await session.execute(statement.on_conflict_do_nothing())
    else:
        await session.execute(statement.on_conflict_do_update(
            index_elements=["run_id", "seq"], set_={"outcome": statement.excluded.outcome}
        ))  # fmt: skip


async def _stop(session: AsyncSession, job: AdvanceInput, advance: RunAdvance) -> Walked:
    """The run stands at `advance.at` until the workflow goes on."""
    await session.execute(
        update(JourneyRun)
        .where(JourneyRun.id == uuid.UUID(job.run_id))
        .values(current_step=advance.at, updated_at=datetime.fromisoformat(job.now), started=True)
    )
    return Walked(advance)


async def _end(
    session: AsyncSession, job: AdvanceInput, status: str, step_id: str | None, reason: str | None = None
) -> None:
    await end_run(
        session, FinishInput(job.project_id, job.journey_id, job.run_id, job.user_id, status, step_id, reason)
    )
