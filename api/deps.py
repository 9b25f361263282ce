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
from domain.base import utcnow
from domain.messaging.links import Links
from domain.projects.keys import FoundKey, find_key
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


def get_dispatch(request: Request) -> Dispatch:
    dispatch: Dispatch = request.app.state.dispatch
    return dispatch


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
DispatchDep = Annotated[Dispatch, Depends(get_dispatch)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EventDrainDep = Annotated[EventDrain, Depends(get_event_drain)]
LinksDep = Annotated[Links, Depends(get_links)]
TemporalDep = Annotated[Client, Depends(get_temporal)]


# Declares the scheme in the API's schema (the docs' Authorize button); the header is read in
# `api.access`, where a bare key is accepted too.
BEARER = HTTPBearer(
    auto_error=False,
    description="A project's public key (`pk_…`, client API) or secret key (`sk_…`, both APIs); a team "
    "member's personal API token (`tg_…`, management API, with their role); the instance admin key for "
    "accounts and projects. In a browser, the session cookie of `POST /api/auth/login` does as a token.",
)


def presented_key(request: Request) -> str | None:
    """`Authorization: Bearer <key>`, or a bare `Authorization: <key>` as Lunogram's Python SDK sends it;
    None without the header, "" for a scheme with no key."""
    authorization = (request.headers.get("authorization") or "").strip()
    if not authorization:
        return None
    scheme, _, rest = authorization.partition(" ")
    return rest.strip() if scheme.lower() == "bearer" else authorization


def bearer_key(request: Request, _scheme: Annotated[object, Depends(BEARER)] = None) -> str:
    key = presented_key(request)
    if key is None:
        raise HTTPException(401, "missing Authorization header with an API key")
    if not key:
        raise HTTPException(401, "missing API key after Bearer")
    return key


KeyDep = Annotated[str, Depends(bearer_key)]


async def client_project(request: Request, key: KeyDep, session: SessionDep) -> uuid.UUID:
    """The project of a public or secret key (the client API accepts both)."""
    found = await project_key(request, session, key)
    return found.project_id


class KeyCache:
    """Recently seen API keys → their project, so a burst of requests costs one lookup per key."""

    def __init__(self, ttl_seconds: float = 30.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, FoundKey]] = {}

    def get(self, key: str) -> FoundKey | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        found = entry[1]
        return None if found.expires_at is not None and found.expires_at <= utcnow() else found

    def clear(self) -> None:
        """Forget every key: one was revoked or rotated in this process."""
        self._entries.clear()

    def put(self, key: str, found: FoundKey) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, found)


async def project_key(request: Request, session: AsyncSession, key: str) -> FoundKey:
    """The project key presented, counted against its rate limit; 401 if no usable key matches."""
    cache: KeyCache = request.app.state.key_cache
    found = cache.get(key) or await find_key(session, key)
    if found is None:
        admin_key: str | None = request.app.state.settings.admin_key
        if admin_key and hmac.compare_digest(key.encode(), admin_key.encode()):
            raise HTTPException(
                403,
                "this is the instance admin key, which creates accounts and projects; project routes take the "
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
