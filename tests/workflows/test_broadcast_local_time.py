"""A broadcast in each recipient's timezone: one wave per timezone, at its local time, on the time-skipping server."""

import uuid
from datetime import UTC, date, datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from domain.broadcasts.schemas import BroadcastIn, LocalDelivery
from domain.broadcasts.service import broadcast_input, broadcast_out, create_broadcast, get_broadcast
from lifecycle.broadcasts import start_broadcast
from tests.helpers import ProjectKeys, email_campaign, make_worker, static_list, until, upsert
from tests.sinks import SmtpSink


async def waiting_on_a_timer(env: WorkflowEnvironment, workflow_id: str) -> None:
    """Until the workflow sleeps on a durable timer (its first wave's moment)."""
    handle = env.client.get_workflow_handle(workflow_id)

    async def timer_started() -> bool:
        return any(e.HasField("timer_started_event_attributes") for e in (await handle.fetch_history()).events)

    await until(timer_started, equals=True)


async def test_each_recipient_gets_the_broadcast_at_nine_in_their_own_timezone(
    api, project: ProjectKeys, sessions, smtp: SmtpSink, skipping_env: WorkflowEnvironment
):
    campaign = await email_campaign(api, project, smtp.port, {"en": {"subject": "Good morning", "text": "Hi"}})
    zones = {"tokyo": "Asia/Tokyo", "paris": "Europe/Paris", "utc": None, "ny": "America/New_York"}
    users = [
        await upsert(api, project, name, email=f"{name}@example.com", **({"timezone": tz} if tz else {}))
        for name, tz in zones.items()
    ]
    audience = await static_list(api, project, list(reversed(users)))
    day = date.today() + timedelta(days=2)
    async with sessions() as session:
        payload = BroadcastIn(name="morning", campaign_id=campaign["id"], list_id=audience["id"],
                              local=LocalDelivery(date=day, time="09:00"))  # fmt: skip
        broadcast = await create_broadcast(session, uuid.UUID(project.id), payload)
        await session.commit()

    task_queue = f"broadcasts-{uuid.uuid4()}"
    async with make_worker(skipping_env.client, sessions, task_queue):
        workflow_id = await start_broadcast(skipping_env.client, task_queue, broadcast_input(broadcast))
        await waiting_on_a_timer(skipping_env, workflow_id)
        assert smtp.to("tokyo@example.com") == []  # two days early: nothing is sent
        await skipping_env.sleep(timedelta(days=4))
        progress = await skipping_env.client.get_workflow_handle(workflow_id).result()

    assert progress["waves"] == progress["waves_done"] == 4 and progress["sent"] == 4
    received = [m["To"].split("@")[0] for m in smtp.messages if m["Subject"] == "Good morning"]
    assert received == ["tokyo", "paris", "utc", "ny"]  # 00:00, 08:00, 09:00 and 14:00 UTC
    async with sessions() as session:
        shown = await broadcast_out(session, await get_broadcast(session, broadcast.project_id, broadcast.id))
    assert shown.status == "completed" and shown.progress.sent == 4
    assert shown.started_at is not None and shown.started_at <= datetime.now(UTC)
