"""The API's drain of the event outbox: starts the workflow of each accepted event, oldest first, then
forgets it. Every API process runs one; they share the outbox (rows are claimed with SKIP LOCKED), so
events one process accepted are started by any survivor if it dies."""

import asyncio
import logging
import time

from core.db import SessionFactory
from domain.events.intake import index_known_users
from domain.events.outbox import claim_oldest, forget, forget_expired_keys
from lifecycle.events import EventStarter

log = logging.getLogger(__name__)

BATCH = 200
# Without a wake-up from this process, the outbox is looked at this often (events other processes accepted).
POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
KEY_CLEANUP_SECONDS = 3600.0
HEALTH_SECONDS = 5.0


class EventDrain:
    def __init__(self, sessions: SessionFactory, starter: EventStarter) -> None:
        self.sessions = sessions
        self.starter = starter
        self._wake = asyncio.Event()
        self._cleaned_at = time.monotonic()

    def wake(self) -> None:
        """Events were just accepted: start them now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Drains until cancelled. While Temporal or PostgreSQL is unavailable it backs off and says so;
        accepted events wait in the outbox meanwhile."""
        backoff = 0.0
        while True:
            self._wake.clear()
            try:
                if backoff:
                    # Claim nothing until Temporal answers again: claimed rows stay locked while their
                    # starts wait, and the other API processes could start them meanwhile.
                    async with asyncio.timeout(HEALTH_SECONDS):
                        await self.starter.client.service_client.check_health()
                started = await self.drain_once()
                if backoff:
                    log.info("event outbox: draining again")
                backoff = 0.0
            except Exception as error:
                backoff = min(max(1.0, backoff * 2), MAX_BACKOFF_SECONDS)
                log.warning("event outbox: cannot start workflows (%s); retrying in %.0f s", error, backoff)
                await asyncio.sleep(backoff)
                continue
            if started:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            except TimeoutError:
                pass

    async def drain_once(self) -> int:
        """Starts one batch; returns how many events it started. The rows stay locked while their
        workflows start, and are deleted in the same transaction, so a crash leaves them for a retry
        (a second start of the same workflow ID is a no-op)."""
        async with self.sessions() as session:
            events = await claim_oldest(session, BATCH)
            if events:
                await index_known_users(session, events)
                await self.starter.start(events)
                await forget(session, events)
            if time.monotonic() - self._cleaned_at > KEY_CLEANUP_SECONDS:
                await forget_expired_keys(session)
                self._cleaned_at = time.monotonic()
            await session.commit()
            return len(events)
