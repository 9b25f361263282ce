"""Who is calling the management API, and what their role in the project lets them do.

Three kinds of callers: a person logged in (the session cookie), a person's API token (`tg_…`), and a
project's secret key (`sk_…`, full access to its own project). Cookie requests that change something must
come from this server's own origin (CSRF). Every change a caller makes is on the project's audit log.
"""

import hmac
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie

from api.deps import BEARER, SettingsDep, WorkDep, presented_key, project_key
from core.config import Settings
from core.errors import Forbidden, Unauthenticated
from domain.accounts.models import Account
from domain.accounts.roles import Role
from domain.accounts.service import role_in
from domain.accounts.sessions import SessionPolicy, current_session, touch
from domain.accounts.tokens import TOKEN_PREFIX, token_account
from domain.audit import Actor, AuditTrail
from domain.projects.keys import FoundKey, KeyKind
from domain.unit_of_work import UnitOfWork

SESSION_COOKIE = "tempogram_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PROJECT_PREFIX = "/api/admin/projects/{project_id}"


@dataclass(frozen=True)
class Caller:
    actor: Actor
    account: Account | None = None  # a person, by session or token
    key: FoundKey | None = None  # a project's key
    instance_admin_key: bool = False

    @property
    def instance_admin(self) -> bool:
        return self.instance_admin_key or (self.account is not None and self.account.instance_admin)


def session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(timedelta(hours=settings.session_idle_hours), timedelta(days=settings.session_max_days))


def set_session_cookie(response: Response, request: Request, settings: Settings, token: str) -> None:
    """HttpOnly (no script reads it), SameSite=Lax (no cross-site POST carries it), Secure behind HTTPS."""
    secure = request.url.scheme == "https" or settings.public_url.startswith("https://")
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(session_policy(settings).absolute.total_seconds()),
        httponly=True, samesite="lax", secure=secure, path="/",
    )  # fmt: skip


async def identify(request: Request, work: UnitOfWork, settings: Settings) -> Caller:
    """The caller, from the Authorization header, else the session cookie; 401 when neither names one."""
    key = presented_key(request)
    if key is not None:
        return await _by_key(request, work, settings, key)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthenticated("log in (POST /api/auth/login) or send an API key or token as Authorization: Bearer …")
    found = await current_session(work.session, token, session_policy(settings))
    if found is None:
        raise Unauthenticated("your session has ended: log in again")
    if request.method not in SAFE_METHODS:
        refuse_cross_site(request, settings)
    if found.stale:  # written in its own short transaction, before the request's work
        await touch(work.session, found.session_id)
        await work.session.commit()
    return Caller(Actor("account", str(found.account.id), found.account.email), account=found.account)


async def _by_key(request: Request, work: UnitOfWork, settings: Settings, key: str) -> Caller:
    if not key:
        raise Unauthenticated("missing API key after Bearer")
    if key.startswith(TOKEN_PREFIX):
        found = await token_account(work.session, key)
        if found is None:
            raise Unauthenticated("unknown or revoked API token")
        token, account = found
        return Caller(Actor("token", str(token.id), f"{account.email} (token {token.name})"), account=account)
    if settings.admin_key and hmac.compare_digest(key.encode(), settings.admin_key.encode()):
        return Caller(Actor("key", "instance-admin", "instance admin key"), instance_admin_key=True)
    project = await project_key(request, work.session, key)
    return Caller(Actor("key", str(project.key_id), f"key {project.name} ({project.prefix}…)"), key=project)


def refuse_cross_site(request: Request, settings: Settings) -> None:
    """A change authenticated by the cookie must name this server as its origin (Origin, else Referer):
    the request's own scheme, host and port, or the configured public URL."""
    claimed = _origin(request.headers.get("origin") or request.headers.get("referer") or "")
    own = {_origin(f"{request.url.scheme}://{request.headers.get('host', '')}"), _origin(settings.public_url)}
    if claimed is None or claimed not in own:
        raise Forbidden("cross-site request refused: a change made with a session must come from this server's pages")


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname or port is None:
        return None
    return parts.scheme, parts.hostname.lower(), port


# The session cookie, declared for the API docs (the Authorization schemes are declared in `api.deps`).
_COOKIE = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="A team member's session (log in first)")


async def caller(
    request: Request,
    work: WorkDep,
    settings: SettingsDep,
    _bearer: Annotated[object, Depends(BEARER)] = None,
    _cookie: Annotated[object, Depends(_COOKIE)] = None,
) -> Caller:
    return await identify(request, work, settings)


CallerDep = Annotated[Caller, Depends(caller)]


async def person(who: CallerDep) -> Account:
    """Routes about one's own account (tokens, `/me`) take a session or a personal token."""
    if who.account is None:
        raise Forbidden("this needs a team member's session or personal API token, not a key")
    return who.account


PersonDep = Annotated[Account, Depends(person)]


async def instance_admin(who: CallerDep) -> Caller:
    if not who.instance_admin:
        raise Forbidden("this needs the instance admin key or an instance admin's session or token")
    return who


InstanceAdminDep = Annotated[Caller, Depends(instance_admin)]


def project_role(needed: Role) -> Callable[..., Awaitable[uuid.UUID]]:
    async def allowed(project_id: uuid.UUID, request: Request, who: CallerDep, work: WorkDep) -> uuid.UUID:
        if who.key is not None:
            if who.key.kind is not KeyKind.SECRET:
                raise Forbidden("the management API needs the project's secret key (sk_…), not a public key")
            if who.key.project_id != project_id:
                raise Forbidden(f"this key does not belong to project {project_id}")
        elif who.account is not None:
            role = await role_in(work.session, who.account.id, project_id)
            if role is None:
                raise Forbidden(f"you are not a member of project {project_id}")
            if not role.allows(needed):
                raise Forbidden(f"this needs the {needed} role in this project (yours: {role})")
        else:  # the instance admin key
            raise Forbidden(
                "this is the instance admin key, which creates and lists projects; project routes take the "
                "project's keys (sk_… for the management API) or a member's session or token"
            )
        if request.method not in SAFE_METHODS:
            work.audited(AuditTrail(who.actor, action_of(request), project_id, changed_object(request)))
        return project_id

    return allowed


def action_of(request: Request) -> str:
    """The route a change came through, as the audit log names it: `POST /journeys/{journey_id}/publish`."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    return f"{request.method} {path.removeprefix(_PROJECT_PREFIX) or '/'}"


def changed_object(request: Request) -> tuple[str, str | None]:
    """What a request changes, from its path: the first segment's kind and the first id after it."""
    route = request.scope.get("route")
    path = getattr(route, "path", "").removeprefix(_PROJECT_PREFIX)
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "project", str(request.path_params.get("project_id"))
    first = parts[0]
    kind = str(request.path_params.get(first[1:-1], first)) if first.startswith("{") else first
    ids = [str(request.path_params[p[1:-1]]) for p in parts[1:] if p.startswith("{")]
    return kind.removesuffix("s"), ids[0] if ids else None


Viewer = Annotated[uuid.UUID, Depends(project_role(Role.VIEWER))]
Editor = Annotated[uuid.UUID, Depends(project_role(Role.EDITOR))]
Admin = Annotated[uuid.UUID, Depends(project_role(Role.ADMIN))]
Owner = Annotated[uuid.UUID, Depends(project_role(Role.OWNER))]
