"""Exactly-once recording when activities are retried and when the worker stops mid-stream."""

import asyncio
import uuid

from sqlalchemy import func, select
from temporalio import activity

from activities.events import EventActivities
from domain.events.models import Event
from domain.events.payloads import FanOutPageInput, FanOutPageResult, IdentifierRef, ProcessEventInput
from domain.users.models import UserIdentifier
from lifecycle.unit_of_work import Dispatch
from tests.helpers import ProjectKeys, make_worker, timeline, wait_processed


class DeliveryThatFailsAfterWorking:
    """The real page delivery, reporting failure on its first attempt after doing the work, as when a
    worker dies between starting the copies and reporting back. Temporal then retries the page."""

    def __init__(self, real: EventActivities) -> None:
        self.real = real
        self.attempts = 0

    @activity.defn(name="deliver_match_page")
    async def deliver_match_page(self, page: FanOutPageInput) -> FanOutPageResult:
        self.attempts += 1
        result = await self.real.deliver_match_page(page)
        if activity.info().attempt == 1:
            raise RuntimeError("lost the worker after delivering the page")
        return result


async def test_fan_out_retry_delivers_each_user_exactly_once(api, project: ProjectKeys, temporal_client, sessions):
    users = []
    for i in range(7):
        body = {"identifier": [{"external_id": f"fan-{i}"}], "data": {"cohort": "retry"}}
        users.append((await api.post("/api/client/users", json=body, headers=project.public)).json()["id"])

    task_queue = f"fan-out-retry-{uuid.uuid4()}"
    dispatch = Dispatch(sessions, temporal_client, task_queue)
    starter = dispatch.events
    real = EventActivities(dispatch)
    flaky = DeliveryThatFailsAfterWorking(real)
    event = ProcessEventInput(
        project_id=project.id,
        event_id=str(uuid.uuid4()),
        entity="user",
        name="cohort.notice",
        data={"n": 1},
        match={"cohort": "retry"},
    )
    activities = [real.record_event, flaky.deliver_match_page, real.dispatch_pending_events]
    async with make_worker(temporal_client, sessions, task_queue, activities=activities):
        await starter.start([event])
        [result] = await wait_processed(temporal_client, project.id, [event.event_id])

    assert flaky.attempts >= 2, "the page was retried"
    assert result["delivered"] == 7
    for user_id in users:
        copies = [e for e in await timeline(api, project, user_id) if e["name"] == "cohort.notice"]
        assert len(copies) == 1


async def test_restarting_the_worker_mid_stream_records_every_event_once(
    project: ProjectKeys, temporal_client, sessions
):
    task_queue = f"restart-{uuid.uuid4()}"
    starter = Dispatch(sessions, temporal_client, task_queue).events
    events = [
        ProcessEventInput(
            project_id=project.id,
            event_id=str(uuid.uuid4()),
            entity="user",
            name="heartbeat",
            data={"i": i},
            identifier=[IdentifierRef(external_id=f"restart-{i % 10}")],
        )
        for i in range(160)
    ]
    ids = [uuid.UUID(e.event_id) for e in events]

    async def recorded() -> int:
        async with sessions() as session:
            return await session.scalar(select(func.count()).select_from(Event).where(Event.id.in_(ids))) or 0

    async with make_worker(temporal_client, sessions, task_queue):
        await starter.start(events[:80])
        for _ in range(1200):  # until the worker is demonstrably mid-stream
            if await recorded() >= 10:
                break
            await asyncio.sleep(0.05)
    # The worker is gone; the API keeps accepting events.
    stopped_at = await recorded()
    await starter.start(events[80:])
    assert stopped_at < len(events)

    async with make_worker(temporal_client, sessions, task_queue):
        await wait_processed(temporal_client, project.id, [e.event_id for e in events])

    assert await recorded() == len(events)
    async with sessions() as session:
        users = await session.scalar(
            select(func.count())
            .select_from(UserIdentifier)
            .where(
                UserIdentifier.project_id == uuid.UUID(project.id),
                UserIdentifier.external_id.like("restart-%"),
            )
        )
    assert users == 10, "each new identifier created one user, even across the restart"


async def test_an_event_whose_user_was_deleted_before_it_was_processed_is_dropped(
    api, project: ProjectKeys, temporal_client, sessions
):
    """A system event emitted for a user who is deleted before its workflow runs: the pipeline ends
    at once (the database refuses the row, and no retry can change that) and stores nothing."""
    identifier = {"identifier": [{"external_id": "deleted-before-processing"}]}
    user = (await api.post("/api/client/users", json=identifier, headers=project.public)).json()
    deleted = await api.request("DELETE", "/api/client/users", json=identifier, headers=project.public)
    assert deleted.status_code == 204

    task_queue = f"deleted-user-{uuid.uuid4()}"
    starter = Dispatch(sessions, temporal_client, task_queue).events
    event = ProcessEventInput(
        project_id=project.id,
        event_id=str(uuid.uuid4()),
        entity="user",
        name="journey.completed",
        source="system",
        user_id=user["id"],
    )
    async with make_worker(temporal_client, sessions, task_queue):
        await starter.start([event])
        [result] = await wait_processed(temporal_client, project.id, [event.event_id])

    assert result["user_id"] == user["id"]
    async with sessions() as session:
        assert await session.get(Event, uuid.UUID(event.event_id)) is None
