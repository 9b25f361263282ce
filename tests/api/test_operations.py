import time
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import select
from temporalio.client import Client

from api.main import create_app
from core.config import Settings
from domain.base import utcnow
from domain.events.models import Event
from domain.events.payloads import SWEEP_STRANDED_EVENTS_WORKFLOW, PendingEventsInput
from tests.helpers import ProjectKeys, wait_processed
from tests.sinks import black_hole


async def test_health_names_what_is_down(settings: Settings, temporal_client):
    broken = settings.model_copy(update={"database_url": "postgresql+psycopg://nobody:x@127.0.0.1:1/none"})
    app = create_app(broken, temporal=temporal_client, run_migrations=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"].startswith("down") and body["temporal"] == "ok"


async def test_health_answers_within_two_seconds_naming_what_hangs(settings: Settings):
    async with black_hole() as database_port, black_hole() as temporal_port:
        hung = settings.model_copy(update={"database_url": f"postgresql+psycopg://x:x@127.0.0.1:{database_port}/x"})
        temporal = await Client.connect(f"127.0.0.1:{temporal_port}", lazy=True)
        app = create_app(hung, temporal=temporal, run_migrations=False)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                started = time.monotonic()
                response = await client.get("/healthz")
                assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "slow: no answer within 1.5 s",
        "temporal": "slow: no answer within 1.5 s",
    }


async def test_client_api_answers_cors_preflight(api: httpx.AsyncClient):
    response = await api.options(
        "/api/client/users/events",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", "https://shop.example.com")


async def test_openapi_docs_are_served(api: httpx.AsyncClient):
    assert (await api.get("/docs")).status_code == 200
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert "/api/client/users/events" in paths and "/api/v1/events" in paths


async def test_sweeper_dispatches_system_events_that_missed_the_pipeline(
    api: httpx.AsyncClient, project: ProjectKeys, temporal_client, sessions, settings
):
    """As if the API crashed between committing a change and starting its event's workflow."""
    user = (
        await api.post("/api/client/users", json={"identifier": [{"external_id": "stranded"}]}, headers=project.public)
    ).json()
    stranded_id = uuid.uuid4()
    async with sessions() as session:
        session.add(
            Event(
                id=stranded_id,
                project_id=uuid.UUID(project.id),
                user_id=uuid.UUID(user["id"]),
                name="user.updated",
                data={"changed": ["email"]},
                source="system",
                dispatched=False,
                created_at=utcnow() - timedelta(minutes=5),
            )
        )
        await session.commit()

    swept = await temporal_client.execute_workflow(
        SWEEP_STRANDED_EVENTS_WORKFLOW,
        PendingEventsInput(grace_seconds=60),
        id=f"sweep-test-{uuid.uuid4()}",
        task_queue=settings.temporal_task_queue,
    )
    assert swept >= 1
    await wait_processed(temporal_client, project.id, [str(stranded_id)])
    async with sessions() as session:
        assert await session.scalar(select(Event.dispatched).where(Event.id == stranded_id)) is True


async def test_rate_limit_answers_429_with_retry_after(settings: Settings, temporal_client, project: ProjectKeys):
    limited = settings.model_copy(update={"rate_limit_per_second": 0.5, "rate_limit_burst": 3})
    app = create_app(limited, temporal=temporal_client, run_migrations=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            body = {"identifier": [{"external_id": "limited"}]}
            statuses = [(await client.post("/api/client/users", json=body, headers=project.public)) for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert statuses[-1].json()["title"] == "too many requests"
    assert int(statuses[-1].headers["Retry-After"]) >= 1
