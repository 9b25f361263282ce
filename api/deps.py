"""Typed dependencies: routes declare what they need (session or unit of work, authenticated project)."""

import hmac
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.event_drain import EventDrain
from api.rate_limit import RateLimiter
from core.config import Settings
from core.db import SessionFactory
from domain.messaging.links import Links
from domain.projects.service import KeyKind, ProjectKey, find_project_key
from domain.unit_of_work import UnitOfWork
from lifecycle.unit_of_work import Dispatch


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessions: SessionFactory = request.app.state.sessions
    async with sessions() as session:
        yield session


async def get_work(request: Request, session: Annotated[AsyncSession, Depends(get_session)]) -> UnitOfWork:
    """The request's unit of work, on the request's session: `await work.commit()` commits and starts
    what the request caused."""
    dispatch: Dispatch = request.app.state.dispatch
    return dispatch.bind(session)


def get_event_drain(request: Request) -> EventDrain:
    return request.app.state.event_drain


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_links(request: Request) -> Links:
    links: Links = request.app.state.links
    return links


def get_temporal(request: Request) -> Client:
    return request.app.state.temporal


SessionDep = Annotated[AsyncSession, Depends(get_session)]
WorkDep = Annotated[UnitOfWork, Depends(get_work)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EventDrainDep = Annotated[EventDrain, Depends(get_event_drain)]
LinksDep = Annotated[Links, Depends(get_links)]
TemporalDep = Annotated[Client, Depends(get_temporal)]


# Declares the scheme in the API's schema (the docs' Authorize button); the header is read below, where
# a bare key is accepted too.
_BEARER = HTTPBearer(
    auto_error=False,
    description="A project's public key (`pk_…`, client API) or secret key (`sk_…`, both APIs); the instance "
    "admin key for creating and listing projects.",
)


def bearer_key(request: Request, _scheme: Annotated[object, Depends(_BEARER)] = None) -> str:
    """`Authorization: Bearer <key>`, or a bare `Authorization: <key>` as Lunogram's Python SDK sends it."""
    authorization = request.headers.get("authorization")
    if not authorization or not authorization.strip():
        raise HTTPException(401, "missing Authorization header with an API key")
    scheme, _, rest = authorization.strip().partition(" ")
    key = rest.strip() if scheme.lower() == "bearer" else authorization.strip()
    if not key:
        raise HTTPException(401, "missing API key after Bearer")
    return key


KeyDep = Annotated[str, Depends(bearer_key)]


async def client_project(request: Request, key: KeyDep, session: SessionDep) -> uuid.UUID:
    """The project of a public or secret key (the client API accepts both)."""
    found = await _project_key(request, session, key)
    return found.project_id


async def admin_project(request: Request, project_id: uuid.UUID, key: KeyDep, session: SessionDep) -> uuid.UUID:
    """The project in the path, when the key is that project's secret key."""
    found = await _project_key(request, session, key)
    if found.kind is not KeyKind.SECRET:
        raise HTTPException(403, "the management API needs the project's secret key (sk_…), not a public key")
    if found.project_id != project_id:
        raise HTTPException(403, f"this key does not belong to project {project_id}")
    return project_id


def instance_admin(key: KeyDep, settings: SettingsDep) -> None:
    if not settings.admin_key or not hmac.compare_digest(key.encode(), settings.admin_key.encode()):
        raise HTTPException(401 if not key.startswith(("pk_", "sk_")) else 403, "instance admin key required")


class KeyCache:
    """Recently seen API keys → their project, so a burst of requests costs one lookup per key."""

    def __init__(self, ttl_seconds: float = 30.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, ProjectKey]] = {}

    def get(self, key: str) -> ProjectKey | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, found: ProjectKey) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, found)


async def _project_key(request: Request, session: AsyncSession, key: str) -> ProjectKey:
    cache: KeyCache = request.app.state.key_cache
    found = cache.get(key) or await find_project_key(session, key)
    if found is None:
        admin_key: str | None = request.app.state.settings.admin_key
        if admin_key and hmac.compare_digest(key.encode(), admin_key.encode()):
            raise HTTPException(
                403,
                "this is the instance admin key, which creates and lists projects; project routes take the "
                "project's keys (sk_… for the management API, pk_… or sk_… for the client API)",
            )
        raise HTTPException(401, "unknown API key")
    cache.put(key, found)
    limiter: RateLimiter = request.app.state.rate_limiter
    if limiter.enabled and (wait := limiter.retry_after(key)) is not None:
        raise HTTPException(
            429,
            f"rate limit of {limiter.per_second:g} requests/s for this key exceeded",
            headers={"Retry-After": str(wait)},
        )
    return found


ClientProjectDep = Annotated[uuid.UUID, Depends(client_project)]
AdminProjectDep = Annotated[uuid.UUID, Depends(admin_project)]
InstanceAdminDep = Annotated[None, Depends(instance_admin)]
