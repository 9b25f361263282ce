"""One unit of work: a transaction, and what it causes once it commits.

Domain code records into it what must happen after commit (system events for the pipeline, journey runs
to start, exit signals for running runs, runs to stop); `commit` hands all of it to the dispatcher it was opened with,
which commits and then starts the workflows. Committing its session any other way while something is
recorded raises `UnfinishedWork`: work can be lost only loudly.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import event as orm_event
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.prepared import NewRows, write_new
from domain.audit import AuditTrail
from domain.events.models import Event
from domain.journeys.models import JourneyRun
from domain.journeys.payloads import ExitRequest, JourneyRunInput
from domain.listening import heard_events

# System events, written by one prepared INSERT rather than the session's flush (~2 ms of Python each).
NEW_EVENTS = NewRows(Event)


class UnfinishedWork(RuntimeError):
    """A session committed with recorded work that nothing dispatched."""


@dataclass
class Admission:
    """A run admitted in this transaction; the journeys area walks it to its first wait before commit."""

    workflow_id: str
    run: JourneyRunInput
    row: JourneyRun
    at: datetime
    summary: str


@dataclass
class RunStart:
    """A walked run whose workflow starts once the transaction commits. `walked_at`: when its first walk
    ended (`time.monotonic()`); a delay it stands in counts from then."""

    workflow_id: str
    run: JourneyRunInput
    summary: str
    walked_at: float | None = None


@dataclass
class ExitSignal:
    workflow_id: str
    request: ExitRequest


@dataclass
class Termination:
    """Runs to stop because what they belong to (their journey, their user) was deleted."""

    workflow_ids: list[str]
    reason: str


@dataclass
class AfterCommit:
    """What a committed unit of work starts: the events something listens for, the runs, the exits.
    `written`: every event it wrote (those nothing listens for are complete once written)."""

    written: list[Event]
    heard: list[Event]
    runs: list[RunStart]
    exits: list[ExitSignal]
    terminations: list[Termination]


class Dispatcher(Protocol):
    async def commit(self, work: "UnitOfWork") -> None:
        """Commit `work.session`, then start what `work` recorded."""


class UnitOfWork:
    def __init__(self, session: AsyncSession, dispatcher: Dispatcher) -> None:
        self.session = session
        self._dispatcher = dispatcher
        self.events: list[Event] = []  # recorded, not written yet
        self.admissions: list[Admission] = []
        self.runs: list[RunStart] = []
        self.exits: list[ExitSignal] = []
        self.terminations: list[Termination] = []
        self._written: list[Event] = []
        self._heard: list[Event] = []
        self.audit: AuditTrail | None = None
        orm_event.listen(session.sync_session, "before_commit", self._refuse_unfinished)

    def audited(self, trail: AuditTrail) -> None:
        """Record the changes this unit of work makes to audited tables on the audit log, as `trail`'s."""
        if self.audit is None:
            self.audit = trail
            trail.watch(self.session)

    def emit(self, event: Event) -> None:
        """Record a system event: written in this transaction, started in the pipeline after commit."""
        self.session.add(event)
        self.events.append(event)

    async def write_events(self) -> None:
        """Decide which recorded events something listens for (the rest are marked processed), then
        write them all at once. Called before statements that would otherwise flush them one by one."""
        # An event recorded inside a savepoint that rolled back (a failed CSV row) is gone with it.
        events, self.events = [e for e in self.events if not inspect(e).transient], []
        if events:
            self._heard += await heard_events(self.session, events)
            await write_new(self.session, (NEW_EVENTS, events))
            self._written += events

    def add_written(self, events: list[Event], heard: list[Event]) -> None:
        """Events the caller wrote itself, in bulk (schedule fires), of which `heard` need the pipeline."""
        self._written += events
        self._heard += heard

    async def take_after_commit(self) -> AfterCommit:
        """Write what is still pending and hand over what must happen once the session commits."""
        await self.write_events()
        if self.audit is not None:
            await self.audit.write(self.session)
        after = AfterCommit(self._written, self._heard, self.runs, self.exits, self.terminations)
        self._written, self._heard, self.runs, self.exits, self.terminations = [], [], [], [], []
        return after

    async def commit(self) -> None:
        if self.admissions:
            raise UnfinishedWork(f"{len(self.admissions)} admitted runs were not walked (journeys.walk_admitted)")
        await self._dispatcher.commit(self)

    def _refuse_unfinished(self, session: Session) -> None:
        if session.in_nested_transaction():  # a savepoint released inside the unit of work
            return
        pending = {
            "events": len(self.events) + len(self._written),
            "admissions": len(self.admissions),
            "runs": len(self.runs),
            "exits": len(self.exits),
            "terminations": len(self.terminations),
        }
        if any(pending.values()):
            counts = ", ".join(f"{count} {name}" for name, count in pending.items() if count)
            raise UnfinishedWork(f"commit with undispatched work ({counts}): commit through the unit of work")
