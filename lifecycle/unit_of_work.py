"""Opening units of work, and completing them: commit, then start what the transaction recorded."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from core.db import SessionFactory
from domain.events.recording import SchemaKey, extract_schema
from domain.unit_of_work import UnitOfWork
from lifecycle.events import EventStarter, recorded_input
from lifecycle.journeys import RunStarter, stop_runs

log = logging.getLogger(__name__)


class Dispatch:
    """The one way a transaction that changes anything commits, in routes, activities and imports.

    If Temporal is unreachable after commit, events stay on the timeline marked undispatched and runs
    stay marked not started; the sweeper starts both later, so committed changes are never lost. A lost
    exit signal is raised, so the caller's retry (the event's recording activity) sends it again.
    """

    def __init__(self, sessions: SessionFactory, client: Client, task_queue: str, concurrency: int = 64) -> None:
        self.sessions = sessions
        self.events = EventStarter(client, task_queue, concurrency)
        self.runs = RunStarter(client, task_queue, self.events.slots)
        self._known_schema: set[SchemaKey] = set()

    @asynccontextmanager
    async def open(self) -> AsyncIterator[UnitOfWork]:
        async with self.sessions() as session:
            yield self.bind(session)

    def bind(self, session: AsyncSession) -> UnitOfWork:
        return UnitOfWork(session, self)

    async def commit(self, work: UnitOfWork) -> None:
        after = await work.take_after_commit()
        # Events nothing listens for are complete once written: their schema is learnt here, in the
        # emitting transaction, and no workflow is started for them.
        for event in after.written:
            if event.dispatched:
                self._known_schema.update(await extract_schema(work.session, recorded_input(event), self._known_schema))
        await work.session.commit()
        try:
            await asyncio.gather(self.events.dispatch_recorded(after.heard), self.runs.start(after.runs))
        except Exception:
            log.exception(
                "could not start %d events / %d runs; the sweeper will retry", len(after.heard), len(after.runs)
            )
        await self.runs.signal_exits(after.exits)
        for termination in after.terminations:
            await stop_runs(self.runs.client, termination.workflow_ids, termination.reason)
