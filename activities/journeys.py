"""Journey I/O: walk a run, finish it, enter an organization's or a list's members, restart lost runs."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from temporalio import activity

from activities.messaging import deliver_send
from core.db import through_database_outage
from domain.base import utcnow
from domain.journeys.entry import Occurrence, admit, enter_for_event, live_entrance, published, run_input
from domain.journeys.execution import end_run
from domain.journeys.models import Journey, JourneyRun
from domain.journeys.payloads import (
    AdvanceInput,
    FinishInput,
    ListEntranceInput,
    OrganizationEntranceInput,
    PendingRunsInput,
    RunAdvance,
    run_summary,
)
from domain.journeys.walk import Delivered, Walked, walk, walk_admitted
from domain.lists.models import ListMember
from domain.messaging.links import Links
from domain.organizations.models import OrganizationMember
from domain.paging import id_pages
from domain.unit_of_work import RunStart
from domain.users.queries import user_label
from lifecycle.unit_of_work import Dispatch


class JourneyActivities:
    def __init__(self, dispatch: Dispatch, links: Links, http: httpx.AsyncClient) -> None:
        self.dispatch = dispatch
        self.sessions = dispatch.sessions
        self.links = links
        self.http = http

    @activity.defn
    async def advance_run(self, job: AdvanceInput) -> RunAdvance:
        """Walk the run through every step the database alone performs, delivering its sends between
        two transactions, up to a wait, an HTTP action or the end. Idempotent: a retry follows the
        visits already recorded, and each send keeps its key."""
        asked_at, scheduled = datetime.fromisoformat(job.now), activity.info().scheduled_time

        def now() -> datetime:
            return asked_at + (datetime.now(UTC) - scheduled)

        delivered: Delivered | None = None

        async def walk_on() -> Walked:
            async with self.dispatch.open() as work:
                walked = await walk(work, job, self.links, now(), delivered)
                await walk_admitted(work)  # a link step may have entered the user into another journey
                await work.commit()
            return walked

        while True:
            # After a delivery, the walk records it: wait out a database outage rather than fail the
            # activity, whose retry would send the message again.
            walked = await (walk_on() if delivered is None else through_database_outage(walk_on))
            if walked.claimed is None:
                walked.advance.finished_at = now().isoformat()
                return walked.advance
            claimed = walked.claimed
            outcome = await deliver_send(self.sessions, self.http, claimed.send, claimed.outgoing)
            delivered = Delivered(claimed, outcome)

    @activity.defn
    async def finish_run(self, job: FinishInput) -> None:
        """Mark the run ended and record `journey.completed` or `journey.exited`; idempotent."""
        async with self.dispatch.open() as work:
            await end_run(work, job)
            await work.commit()

    @activity.defn
    async def enter_organization_members(self, job: OrganizationEntranceInput) -> int:
        """An organization event that entrances listen for enters each member (filtered by `member_rule`)."""
        event = Occurrence(uuid.UUID(job.event_id), job.event_name, job.data, datetime.now(UTC))
        members = OrganizationMember.organization_id == uuid.UUID(job.organization_id)
        entered = 0
        async for user_ids in id_pages(self.sessions, OrganizationMember.user_id, members):
            async with self.dispatch.open() as work:
                for user_id in user_ids:
                    await enter_for_event(work, uuid.UUID(job.project_id), user_id, event, organization=True)
                await walk_admitted(work)
                await work.commit()
            entered += len(user_ids)
            activity.heartbeat(entered)
        return entered

    @activity.defn
    async def enter_list_members(self, job: ListEntranceInput) -> int:
        """A recurring list entrance fired: page through the list's members and admit each (re-entry
        rules apply). Idempotent per fire: admissions are keyed by the fire's id."""
        fire = uuid.uuid5(uuid.NAMESPACE_URL, job.fire_id)
        fired_at = datetime.now(UTC).isoformat()
        entered = 0
        members = ListMember.list_id == uuid.UUID(job.list_id)
        async for user_ids in id_pages(self.sessions, ListMember.user_id, members):
            async with self.dispatch.open() as work:
                found = await live_entrance(work.session, uuid.UUID(job.journey_id), job.entrance_step)
                if found is None:  # paused or deleted since the schedule fired
                    return entered
                journey, version, entrance = found
                data = {entrance.data_key: {"list_id": job.list_id, "fired_at": fired_at}} if entrance.data_key else {}
                for user_id in user_ids:
                    if await admit(work, journey, version, entrance, user_id, data, event_id=fire):
                        entered += 1
                await walk_admitted(work)
                await work.commit()
            activity.heartbeat(entered)
        return entered

    @activity.defn
    async def start_pending_runs(self, job: PendingRunsInput) -> int:
        """Start runs whose workflow start was lost (Temporal unreachable after commit)."""
        async with self.sessions() as session:
            stranded = await session.execute(
                select(JourneyRun, Journey.name, user_label(JourneyRun.user_id))
                .join(Journey, Journey.id == JourneyRun.journey_id)
                .where(
                    ~JourneyRun.started,
                    JourneyRun.ended_at.is_(None),
                    JourneyRun.created_at < utcnow() - timedelta(seconds=job.grace_seconds),
                )
                .limit(job.limit)
            )
            pending = []
            for run, journey_name, user in stranded:
                version = await published(session, run.journey_id, run.version)
                entrance = next(e for e in version.definition.entrances if e.id == run.entrance_step)
                input_ = run_input(version, run.project_id, run.id, run.user_id, entrance, run.entrance_data)
                summary = run_summary(journey_name, user or str(run.user_id), entrance.id)
                pending.append(RunStart(run.workflow_id, input_, summary))
            await self.dispatch.runs.start(pending)
            started = [start.workflow_id for start in pending]
            await session.execute(update(JourneyRun).where(JourneyRun.workflow_id.in_(started)).values(started=True))
            await session.commit()
        return len(pending)
