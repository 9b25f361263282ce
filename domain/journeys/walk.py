"""A run's walk: the steps the database alone performs, one after another in one transaction, up to
where the run must wait (a delay, a full balancer, a link's delay), hand an HTTP action to the
workflow, deliver a message, or end.

Every visit records where it led. A retried walk finds those records and follows them instead of
deciding again: a gate evaluated before a crash keeps its answer, a balancer counts the run once, and
the send further down the path is the same send under the same key.
"""

import random
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, Select, Uuid, and_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.prepared import NewRows, Prepared, write_new
from domain.base import table_of
from domain.journeys.definition import Action, Balancer, Delay, Exit, Experiment, Gate, Link, Send, Step, parse_step
from domain.journeys.engine import choose_variant, next_step
from domain.journeys.execution import RunContext, StepJob, do_step, end_run, needs_user, reads_the_run
from domain.journeys.models import JourneyRun, JourneyStepVisit
from domain.journeys.payloads import AdvanceInput, FinishInput, RunAdvance
from domain.messaging.links import Links
from domain.messaging.payloads import SendInput
from domain.messaging.sending import Outgoing, SendOutcome, claim_send, finish_send
from domain.rules.durations import parse_span
from domain.unit_of_work import RunStart, UnitOfWork
from domain.users.models import User
from domain.users.queries import WITHOUT_IDENTIFIERS, load_user

# A walk this long hands back to the workflow (which checks `exit_on` and history size) and goes on.
MAX_STEPS = 100


def taken_at_admission(step: Step) -> bool:
    """Whether a run's first walk takes this step inside the transaction that admits it (and records
    the event): only steps that cannot fail on the journey's content (a rendered template), wait on
    another run's lock (a balancer) or reach outside (a send, an HTTP action, a link). The walk stops
    before any other step and the run's workflow goes on from there, where a failure is the run's own."""
    if isinstance(step, Delay):
        return "{" not in (step.duration or step.until_time or step.until_date or "")  # literal: checked at publish
    return isinstance(step, Gate | Experiment | Exit)


@dataclass
class Claimed:
    """A send the walk stopped at: claimed under its key; the caller commits, delivers, and settles it."""

    send: SendInput
    outgoing: Outgoing
    then: str | None
    data_key: str | None


@dataclass
class Delivered:
    """A claimed send, and what its provider answered."""

    claimed: Claimed
    outcome: SendOutcome


@dataclass
class Walked:
    advance: RunAdvance
    claimed: Claimed | None = None


@dataclass
class _Visits:
    """The walk's visits, written in one statement where it stops. `outcome` None: still in progress
    (a claimed send, a full balancer); a later walk fills it in."""

    run_id: uuid.UUID
    journey_id: uuid.UUID
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, seq: int, step_id: str, at: datetime, outcome: dict[str, Any] | None) -> None:
        self.rows.append({"seq": seq, "step_id": step_id, "entered_at": at, "outcome": outcome})

    async def write(self, session: AsyncSession) -> None:
        if not self.rows:
            return
        ids = {"run_id": self.run_id, "journey_id": self.journey_id}
        await _WRITE_VISITS.execute_many(session, [{**ids, **row} for row in self.rows])
        self.rows.clear()


# Built once rather than per walk: building a statement and its cache key is Python work each time.
_visits = table_of(JourneyStepVisit)
_insert_visits = insert(_visits)
_WRITE_VISITS = Prepared(
    _insert_visits.on_conflict_do_update(
        index_elements=[_visits.c.run_id, _visits.c.seq],
        set_={"outcome": func.coalesce(_insert_visits.excluded.outcome, _visits.c.outcome)},
    )
)


async def walk(
    work: UnitOfWork, job: AdvanceInput, links: Links, now: datetime, delivered: Delivered | None = None
) -> Walked:
    """Walk the run from `job.start`; with `delivered`, first record that send and go on after it."""
    session = work.session
    first = delivered.claimed.then if delivered is not None else job.start
    # The user comes with the run when the first step walked reads them (later reads find them loaded).
    with_user = first is not None and needs_user(job.steps[first])
    params = {"run_id": uuid.UUID(job.run_id), "seq": job.visits}
    if with_user:
        rows = list((await session.execute(_RUN_AND_USER_TO_WALK, params)).all())
    else:
        rows = await _RUN_TO_WALK.execute(session, params)
    run = rows[0] if rows else None
    if run is None or run.ended_at is not None:  # ended meanwhile (a retried walk, the journey deleted)
        if delivered is not None:  # the message went out all the same: record it
            await _finish(work, delivered)
        ended = run.status if run is not None and run.status in ("completed", "exited") else "exited"
        return Walked(RunAdvance(at=job.start, visits=job.visits, data=job.data, ended=ended))
    # Visits an earlier attempt of this walk already decided (normally none).
    recorded = {row.seq: row.outcome for row in rows if row.seq is not None}
    context = RunContext(run.project_id, run.journey_id, run.User if with_user else None)
    visits = _Visits(uuid.UUID(job.run_id), run.journey_id)
    if delivered is not None:
        job = await _settle(work, job, delivered, visits, now)
    walked = await _walk(work, job, links, now, context, recorded, visits)
    await _write_last_visits(session, visits)
    return walked


def _run_to_walk(*, with_user: bool) -> Select[Any]:
    """The run, the outcomes of its visits from `seq` on, and its user if asked for (None if gone)."""
    query = (
        select(JourneyRun.project_id, JourneyRun.journey_id, JourneyRun.ended_at, JourneyRun.status,
               JourneyStepVisit.seq, JourneyStepVisit.outcome)
        .outerjoin(JourneyStepVisit, and_(
            JourneyStepVisit.run_id == JourneyRun.id,
            JourneyStepVisit.seq >= bindparam("seq", type_=Integer),
            JourneyStepVisit.outcome.is_not(None),
        ))
        .where(JourneyRun.id == bindparam("run_id", type_=Uuid))
    )  # fmt: skip
    if with_user:
        query = query.add_columns(User).outerjoin(User, User.id == JourneyRun.user_id)
        query = query.options(WITHOUT_IDENTIFIERS)  # as `load_user` loads them
    return query


# Built once, as the other statements of a walk: building one and its cache key is Python work.
_RUN_TO_WALK = Prepared(_run_to_walk(with_user=False))
_RUN_AND_USER_TO_WALK = _run_to_walk(with_user=True)  # loads a `User`: through the session
_NEW_RUNS = NewRows(JourneyRun)
_STAND_AT = Prepared(
    update(JourneyRun)
    .where(JourneyRun.id == bindparam("run_id", type_=Uuid))
    .values(current_step=bindparam("step"), updated_at=bindparam("now"), started=True)
)


async def walk_admitted(work: UnitOfWork) -> None:
    """Walk each run admitted in this unit of work up to its first wait (or a step the workflow must
    take), in the same transaction; the runs start after commit where they stand: the workflow of a run
    waiting in a delay starts with its timer, not with a walk."""
    admissions, work.admissions = work.admissions, []
    if not admissions:
        return
    # The events recorded so far are decided and written first, in one statement, not flushed one by one.
    await work.write_events()
    session = work.session
    for admission in admissions:
        run = admission.run
        if run.start_delay_seconds > 0:  # waits before its first step: the workflow walks after it
            await write_new(session, (_NEW_RUNS, [admission.row]))
            work.runs.append(RunStart(admission.workflow_id, run, admission.summary))
            continue
        job = AdvanceInput(
            run.project_id, run.journey_id, run.run_id, run.user_id, run.steps,
            next_step(parse_step(run.entrance_step, run.steps[run.entrance_step])), 0, run.data,
        )  # fmt: skip
        context = RunContext(admission.row.project_id, admission.row.journey_id, None, admitting=admission.row)
        visits = _Visits(admission.row.id, admission.row.journey_id)
        walked = await _walk(work, job, None, admission.at, context, {}, visits)
        # The run's row, now that its first walk decided where it stands, goes with the visits.
        await write_new(session, (_NEW_RUNS, [admission.row]))
        await visits.write(session)
        walked.advance.finished_at = admission.at.isoformat()
        work.runs.append(RunStart(admission.workflow_id, replace(run, admitted=walked.advance), admission.summary))
    walked_at = time.monotonic()
    for start in work.runs:
        start.walked_at = walked_at


async def _walk(
    work: UnitOfWork,
    job: AdvanceInput,
    links: Links | None,
    now: datetime,
    context: RunContext,
    recorded: dict[int, dict[str, Any]],
    visits: _Visits,
) -> Walked:
    session = work.session
    seq, data, step_id, waited = job.visits, dict(job.data), job.start, job.waited
    last = step_id
    for _ in range(MAX_STEPS):
        if step_id is None:
            await _end(work, context, job, "completed", last)
            return Walked(RunAdvance(at=last, visits=seq, data=data, ended="completed"))
        raw = job.steps[step_id]
        step = parse_step(step_id, raw)
        if isinstance(step, Link) and not waited:
            wake = (now + parse_span(step.delay)).isoformat()
            return await _stop(work, context, job, now, RunAdvance(step_id, seq, data, then=step_id, resume_at=wake))
        if context.admitting is not None and not taken_at_admission(step):
            return await _stop(work, context, job, now, RunAdvance(step_id, seq, data, then=step_id))
        seq = seq if waited and isinstance(step, Balancer) else seq + 1
        waited, last = False, step_id
        if (outcome := recorded.get(seq)) is not None:
            step_id = outcome.get("next")
            if isinstance(step, Send) and step.data_key:
                data[step.data_key] = outcome.get("result")
            if outcome.get("resume_at") and datetime.fromisoformat(outcome["resume_at"]) > now:
                return await _stop(
                    work,
                    context,
                    job,
                    now,
                    RunAdvance(last, seq, data, then=step_id, resume_at=outcome["resume_at"]),
                )
            continue
        if needs_user(raw) and context.user is None:
            context.user = await load_user(session, uuid.UUID(job.user_id))
            if context.user is None:
                await _end(work, context, job, "exited", step_id, "the user no longer exists")
                return Walked(RunAdvance(at=step_id, visits=seq, data=data, ended="exited"))
        single = StepJob(job.project_id, job.journey_id, job.run_id, job.user_id, step_id, raw, seq, data)
        match step:
            case Exit():
                visits.add(seq, step_id, now, {"next": None})
                await _end(work, context, job, "completed", step_id)
                return Walked(RunAdvance(at=step_id, visits=seq, data=data, ended="completed"))
            case Link():
                visits.add(seq, step_id, now, {"next": None})
                await do_step(work, context, step, single, now)
                await _end(work, context, job, "completed", step_id)
                return Walked(RunAdvance(at=step_id, visits=seq, data=data, ended="completed"))
            case Action():
                visits.add(seq, step_id, now, None)
                return await _stop(
                    work, context, job, now, RunAdvance(step_id, seq, data, then=step.next, perform="action")
                )
            case Send():
                send = SendInput(
                    job.project_id, job.run_id, job.user_id, step_id, seq, step.campaign_id, data,
                    journey_id=job.journey_id,
                )  # fmt: skip
                assert links is not None  # only a first walk has none, and it stops before a send
                claim = await claim_send(session, send, links, now)
                if isinstance(claim, Outgoing):  # the caller commits, delivers, and walks on with `delivered`
                    visits.add(seq, step_id, now, None)
                    stopped = await _stop(work, context, job, now, RunAdvance(step_id, seq, data))
                    stopped.claimed = Claimed(send, claim, step.next, step.data_key)
                    return stopped
                result = claim.as_result()
                if step.data_key:
                    data[step.data_key] = result
                visits.add(seq, step_id, now, {"next": step.next, "result": result})
                step_id = step.next
                continue
            case Experiment():
                chosen = choose_variant(step, random.Random(f"{job.run_id}/{seq}").random())
                visits.add(seq, step_id, now, {"next": chosen})
                step_id = chosen
                continue
        if isinstance(step, Gate) and reads_the_run(step.rule):
            await visits.write(session)  # the visits earlier in this walk count too
        done = await do_step(work, context, step, single, now)
        if isinstance(step, Balancer) and done.resume_at is not None:  # every path full: wait, same visit
            visits.add(seq, step_id, now, None)
            return await _stop(
                work, context, job, now, RunAdvance(step_id, seq, data, then=step_id, resume_at=done.resume_at)
            )
        following = next_step(step, passed=done.passed, chosen=done.chosen)
        outcome = {"next": following, "resume_at": done.resume_at}
        if done.finding is not None:
            outcome["gate"] = done.finding
        visits.add(seq, step_id, now, outcome)
        if done.resume_at is not None and datetime.fromisoformat(done.resume_at) > now:
            return await _stop(
                work, context, job, now, RunAdvance(step_id, seq, data, then=following, resume_at=done.resume_at)
            )
        step_id = following
    return await _stop(work, context, job, now, RunAdvance(step_id, seq, data, then=step_id))


async def _settle(
    work: UnitOfWork, job: AdvanceInput, delivered: Delivered, visits: _Visits, now: datetime
) -> AdvanceInput:
    """Record a delivered send (`email.sent`, the visit's outcome); the walk goes on after it."""
    claimed = delivered.claimed
    result = (await _finish(work, delivered)).as_result()
    data = dict(claimed.send.data)
    if claimed.data_key:
        data[claimed.data_key] = result
    visits.add(claimed.send.seq, claimed.send.step_id, now, {"next": claimed.then, "result": result})
    return replace(job, start=claimed.then, visits=claimed.send.seq, data=data, waited=False)


async def _finish(work: UnitOfWork, delivered: Delivered) -> SendOutcome:
    """The provider's answer recorded on the send (and `email.sent` …)."""
    claimed = delivered.claimed
    return await finish_send(work, claimed.send, claimed.outgoing, delivered.outcome, datetime.now(UTC))


async def _stop(work: UnitOfWork, context: RunContext, job: AdvanceInput, now: datetime, advance: RunAdvance) -> Walked:
    """The run stands at `advance.at` until the workflow goes on."""
    if context.admitting is not None:
        # Written with the new row. `started` stays false until the workflow's own first walk: should
        # its start be lost after commit, the sweeper starts it. (A run still waiting when the sweeper
        # looks costs one start request, rejected as a duplicate, after which it is marked started.)
        context.admitting.current_step = advance.at
        return Walked(advance)
    await _STAND_AT.execute(work.session, {"run_id": uuid.UUID(job.run_id), "step": advance.at, "now": now})
    return Walked(advance)


async def _end(
    work: UnitOfWork,
    context: RunContext,
    job: AdvanceInput,
    status: str,
    step_id: str | None,
    reason: str | None = None,
) -> None:
    finish = FinishInput(job.project_id, job.journey_id, job.run_id, job.user_id, status, step_id, reason)
    # Outside an admission the emitted events can wait (see `_write_last_visits`); at admission the run's
    # own row is not written yet, and the update must find it.
    with work.session.no_autoflush if context.admitting is None else nullcontext():
        await end_run(work, finish)


async def _write_last_visits(session: AsyncSession, visits: _Visits) -> None:
    """The walk's last writes leave the system events it emitted (`email.sent`, `journey.completed`)
    unwritten: at commit it is known whether anything listens for them, and they are written once,
    already marked dispatched when nothing does, instead of written, then marked (measured: two
    statements fewer at the end of a run)."""
    with session.no_autoflush:
        await visits.write(session)
