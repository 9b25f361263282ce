"""The FastAPI application: `create_app()`; the lifespan opens the database engine and the Temporal client."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from temporalio.client import Client

import domain.tables  # noqa: F401 - every mapped table, so foreign keys resolve in this process
from api.deps import KeyCache
from api.docs_pages import install_docs
from api.errors import install_error_handlers
from api.event_drain import EventDrain
from api.middleware import GuardedRequests
from api.openapi import document_errors
from api.rate_limit import RateLimiter
from api.routes import (
    account_links,
    accounts,
    admin_broadcasts,
    admin_events,
    admin_journeys,
    admin_lists,
    admin_messaging,
    admin_organizations,
    admin_schedules,
    admin_users,
    auth,
    client_organizations,
    client_schedules,
    client_users,
    console,
    health,
    lumail,
    projects,
    provider_feedback,
    team,
    tracking,
    unsubscribe,
)
from core.config import Settings, get_settings
from core.db import create_engine, create_session_factory
from core.memory import freeze_startup_heap
from core.migrate import upgrade_to_head
from core.temporal import connect_client
from domain.messaging.links import Links
from lifecycle.unit_of_work import Dispatch


def create_app(
    settings: Settings | None = None,
    *,
    temporal: Client | None = None,
    run_migrations: bool = True,
    freeze_heap: bool = False,
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_migrations:
            await asyncio.to_thread(upgrade_to_head, settings.database_url)
        engine = create_engine(settings, statement_timeout=settings.api_statement_timeout_seconds)
        client = temporal or await connect_client(settings)
        app.state.settings = settings
        app.state.links = Links.from_settings(settings)
        app.state.sessions = create_session_factory(engine)
        app.state.temporal = client
        app.state.dispatch = Dispatch(
            app.state.sessions, client, settings.temporal_task_queue, settings.api_start_concurrency
        )
        app.state.event_drain = EventDrain(app.state.sessions, app.state.dispatch.events)
        draining = asyncio.create_task(app.state.event_drain.run(), name="event outbox drain")
        app.state.key_cache = KeyCache()
        app.state.rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
        if freeze_heap:
            freeze_startup_heap()
        try:
            yield
        finally:
            draining.cancel()
            await asyncio.gather(draining, return_exceptions=True)
            await engine.dispose()

    app = FastAPI(
        title="Tempogram",
        summary="Customer engagement on Temporal; Lunogram-compatible client API.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    app.add_middleware(GuardedRequests)
    # The browser SDK calls the client API from customers' pages.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])
    install_error_handlers(app)
    document_errors(app)
    for router in (
        health.router,
        projects.router,
        auth.router,
        accounts.router,
        team.router,
        account_links.router,
        console.router,
        client_users.router,
        client_organizations.router,
        admin_users.router,
        admin_organizations.router,
        admin_events.router,
        admin_lists.router,
        admin_journeys.router,
        admin_messaging.router,
        admin_broadcasts.router,
        admin_schedules.router,
        client_schedules.router,
        unsubscribe.router,
        tracking.router,
        provider_feedback.router,
        lumail.router,
    ):
        app.include_router(router)
    return app


def serve() -> FastAPI:
    """The app `tempogram api` serves: `create_app()` from the environment's settings (refused without
    its secrets), its startup heap frozen out of the garbage collector's way."""
    settings = get_settings()
    settings.check_secrets()
    return create_app(settings, freeze_heap=True)
