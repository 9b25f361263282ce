"""A `202` is a promise: a batch is stored whole before the answer, whatever Temporal is doing, and
processed once Temporal can take it; an error means nothing of the batch was stored."""

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from temporalio.client import Client

from api.main import create_app
from core.config import Settings
from core.db import SessionFactory
from tests.helpers import ProjectKeys, timeline, wait_processed
from tests.sinks import black_hole

EVENTS = "/api/client/users/events"


@pytest.fixture
async def api_without_temporal(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second API process whose Temporal frontend hangs: it takes connections and never answers."""
    async with black_hole() as port:
        hung = await Client.connect(f"127.0.0.1:{port}", lazy=True)
        app = create_app(settings, temporal=hung, run_migrations=False)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://tempogram.test") as client:
                yield client


def batch(size: int, prefix: str) -> list[dict]:
    buyer = [{"external_id": "buyer"}]
    return [
        {"name": "order.completed", "identifier": buyer, "data": {"n": i}, "id": f"{prefix}-{i}"} for i in range(size)
    ]


async def test_a_batch_is_accepted_whole_while_temporal_is_unreachable_and_processed_once(
    api, api_without_temporal: httpx.AsyncClient, project: ProjectKeys, temporal_client, sessions: SessionFactory
):
    items = batch(100, "outage")
    started = time.monotonic()
    response = await api_without_temporal.post(EVENTS, json=items, headers=project.public)
    assert response.status_code == 202, response.text
    assert time.monotonic() - started < 2
    single = await api_without_temporal.post(EVENTS, json=batch(1, "single"), headers=project.public)
    assert single.status_code == 202 and time.monotonic() - started < 3
    event_ids = response.json()["event_ids"]
    assert response.json()["accepted"] == 100

    # Posted again, as a client that timed out would: the same ids, and nothing doubles.
    again = await api_without_temporal.post(EVENTS, json=items, headers=project.public)
    assert again.json()["event_ids"] == event_ids

    # The API that reaches Temporal drains what the other accepted (processes share the outbox).
    results = await wait_processed(temporal_client, project.id, event_ids)
    names = [e["name"] for e in await timeline(api, project, results[0]["user_id"])]
    assert names.count("order.completed") == 101
    async with sessions() as session:
        waiting = await session.scalar(
            text("SELECT count(*) FROM accepted_events WHERE project_id = :p"), {"p": project.id}
        )
    assert waiting == 0


async def test_concurrent_batches_are_answered_without_waiting_for_their_workflows(
    api, project: ProjectKeys, temporal_client
):
    async def post(i: int) -> tuple[float, list[str]]:
        started = time.monotonic()
        response = await api.post(EVENTS, json=batch(10, f"burst{i}"), headers=project.public)
        assert response.status_code == 202, response.text
        return time.monotonic() - started, response.json()["event_ids"]

    answered = await asyncio.gather(*(post(i) for i in range(16)))
    # Not a benchmark (bench/ingest.py measures the burst): only that no answer waited for processing.
    assert max(seconds for seconds, _ in answered) < 5
    await wait_processed(temporal_client, project.id, [i for _, ids in answered for i in ids])
