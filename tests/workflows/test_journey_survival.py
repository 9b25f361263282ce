"""A run waiting in a delay survives the worker and the Temporal server stopping: both start again on
the same database file, the run continues and its email is sent once."""

import asyncio
import uuid
from pathlib import Path

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from core.temporal import SEARCH_ATTRIBUTES
from domain.journeys.models import JourneyStepVisit
from tests.helpers import BIN, ProjectKeys, email_campaign, enter, live_journey, make_worker, upsert
from tests.sinks import SmtpSink, free_port


async def dev_server(database: Path, port: int) -> WorkflowEnvironment:
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_database_filename=str(database),
        port=port,
        search_attributes=SEARCH_ATTRIBUTES,
    )


async def test_a_waiting_run_survives_a_worker_and_server_restart_and_sends_once(
    api, project: ProjectKeys, sessions, smtp: SmtpSink, tmp_path: Path
):
    campaign = await email_campaign(api, project, smtp.port, {"en": {"subject": "Still here", "text": "Hello"}})
    journey = await live_journey(api, project, {
        "entry": {"type": "entrance", "event": "subscribed", "next": "wait"},
        "wait": {"type": "delay", "duration": "3 seconds", "next": "mail"},
        "mail": {"type": "send", "campaign_id": campaign["id"], "next": "done"},
        "done": {"type": "exit"},
    })  # fmt: skip
    user = await upsert(api, project, "survivor", email="survivor@example.com")
    database, port, task_queue = tmp_path / "temporal.db", free_port(), f"survival-{uuid.uuid4()}"

    env = await dev_server(database, port)
    async with make_worker(env.client, sessions, task_queue):
        workflow_id = await enter(sessions, env, task_queue, journey["id"], user["id"])
        for _ in range(100):  # until the run is waiting in the delay
            async with sessions() as session:
                steps = await session.scalars(
                    select(JourneyStepVisit.step_id).where(JourneyStepVisit.journey_id == uuid.UUID(journey["id"]))
                )
                if "wait" in set(steps):
                    break
            await asyncio.sleep(0.1)
    await env.shutdown()
    assert smtp.to("survivor@example.com") == []

    env = await dev_server(database, port)
    try:
        async with make_worker(env.client, sessions, task_queue):
            result = await asyncio.wait_for(env.client.get_workflow_handle(workflow_id).result(), timeout=60)
    finally:
        await env.shutdown()
    assert result == {"status": "completed", "last_step": "done"}
    assert len(smtp.to("survivor@example.com")) == 1
