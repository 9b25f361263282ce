"""Broadcast I/O: take the audience, send a batch of recipients their message, mark the broadcast done."""

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from activities.messaging import send_once
from domain.broadcasts.payloads import BatchResult, BroadcastBatch, Wave
from domain.broadcasts.service import finish_broadcast, next_recipients, record_recipient, take_audience
from domain.messaging.links import Links
from domain.messaging.payloads import SendInput
from domain.messaging.sending import SendOutcome
from lifecycle.unit_of_work import Dispatch

SENDS_AT_ONCE = 10


class BroadcastActivities:
    def __init__(self, dispatch: Dispatch, links: Links, http: httpx.AsyncClient) -> None:
        self.dispatch = dispatch
        self.sessions = dispatch.sessions
        self.links = links
        self.http = http

    @activity.defn
    async def take_broadcast_audience(self, broadcast_id: str) -> list[Wave]:
        """The list's members become the recipients (once); returns the waves still to send."""
        async with self.dispatch.open() as work:
            session = work.session
            waves = await take_audience(session, uuid.UUID(broadcast_id), datetime.now(UTC))
            await work.commit()
        return waves

    @activity.defn
    async def send_broadcast_batch(self, batch: BroadcastBatch) -> BatchResult:
        """Send the next recipients of a wave, each once (a retried batch skips those already done)."""
        broadcast_id = uuid.UUID(batch.broadcast_id)
        async with self.sessions() as session:
            broadcast, user_ids = await next_recipients(session, broadcast_id, batch.timezone, batch.size)
        if broadcast is None:
            return BatchResult(done=True)
        result = BatchResult(done=len(user_ids) < batch.size)
        limit = asyncio.Semaphore(SENDS_AT_ONCE)

        async def send(user_id: uuid.UUID) -> None:
            async def record(session: AsyncSession, outcome: SendOutcome) -> None:
                await record_recipient(session, broadcast_id, user_id, outcome.status)

            job = SendInput(
                project_id=str(broadcast.project_id),
                run_id="",
                user_id=str(user_id),
                step_id="",
                seq=0,
                campaign_id=str(broadcast.campaign_id),
                idempotency_key=f"broadcast/{broadcast_id}/{user_id}",
            )
            async with limit:
                outcome = await send_once(self.dispatch, self.links, self.http, job, record)
            if outcome.status == "sent":
                result.sent += 1
            elif outcome.status == "skipped":
                result.skipped += 1
            else:
                result.failed += 1

        async with asyncio.TaskGroup() as sends:  # one failing (to be retried) stops the others
            for user_id in user_ids:
                sends.create_task(send(user_id))
        return result

    @activity.defn
    async def finish_broadcast(self, broadcast_id: str) -> None:
        async with self.dispatch.open() as work:
            session = work.session
            await finish_broadcast(session, uuid.UUID(broadcast_id), datetime.now(UTC))
            await work.commit()
