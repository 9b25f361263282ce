"""A project's members and roles, its API keys, and its audit log."""

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import EmailStr, Field

from api.access import Admin, CallerDep, Owner, Viewer
from api.deps import KeyCache, SessionDep, SettingsDep, TemporalDep, WorkDep
from api.pagination import Limit
from core.errors import Invalid
from domain.accounts.links import add_or_invite, email_provider, link_url
from domain.accounts.models import AccountLink
from domain.accounts.roles import Role
from domain.accounts.service import change_role, list_members, remove_member, role_in
from domain.accounts.sessions import revoke_sessions
from domain.audit import AuditFilter, read_audit
from domain.projects.keys import KeyKind, create_key, list_keys, revoke_key, rotate_key
from domain.wire import ManagementModel, OutModel
from lifecycle.accounts import email_link

router = APIRouter(prefix="/api/admin/projects/{project_id}", tags=["admin: team"])


class MemberOut(OutModel):
    account_id: uuid.UUID
    email: str
    name: str
    role: Role
    since: datetime


class MemberIn(ManagementModel):
    email: EmailStr
    role: Role


class RoleIn(ManagementModel):
    role: Role


class InvitationOut(OutModel):
    invited: Literal[True] = True
    email: str
    role: Role
    invitation_url: str
    expires_at: datetime
    emailed: bool


@router.get("/members")
async def members(project_id: Viewer, session: SessionDep) -> list[MemberOut]:
    """The project's team: each account with its role."""
    return [MemberOut.model_validate(m, from_attributes=True) for m in await list_members(session, project_id)]


@router.post("/members", status_code=201)
async def add(
    project_id: Owner, body: MemberIn, who: CallerDep, work: WorkDep, temporal: TemporalDep, settings: SettingsDep
) -> MemberOut | InvitationOut:
    """Add an account by its email with a role; a new address gets an invitation link instead (valid 7
    days, once), emailed through the project's email provider if it has one, and always returned here."""
    added = await add_or_invite(work.session, project_id, str(body.email), body.role, who.actor.label)
    if not isinstance(added, AccountLink):
        await work.commit()
        [member] = [m for m in await list_members(work.session, project_id) if m.account_id == added.account_id]
        return MemberOut.model_validate(member, from_attributes=True)
    provider = await email_provider(work.session, added)
    await work.commit()
    if provider is not None:
        await email_link(temporal, settings.temporal_task_queue, added.id, provider)
    return InvitationOut(email=added.email, role=body.role, expires_at=added.expires_at, emailed=provider is not None,
                         invitation_url=link_url(settings.public_url, settings.link_secret, added))  # fmt: skip


@router.patch("/members/{account_id}")
async def change(project_id: Owner, account_id: uuid.UUID, body: RoleIn, work: WorkDep) -> MemberOut:
    """Change a member's role (a project keeps at least one owner)."""
    await change_role(work.session, project_id, account_id, body.role)
    await work.commit()
    [member] = [m for m in await list_members(work.session, project_id) if m.account_id == account_id]
    return MemberOut.model_validate(member, from_attributes=True)


@router.delete("/members/{account_id}", status_code=204)
async def remove(project_id: Owner, account_id: uuid.UUID, work: WorkDep) -> None:
    """Remove a member from the project (a project keeps at least one owner)."""
    await remove_member(work.session, project_id, account_id)
    await work.commit()


@router.delete("/members/{account_id}/sessions")
async def end_sessions(project_id: Admin, account_id: uuid.UUID, work: WorkDep) -> dict[str, int]:
    """Log a member out everywhere: every session of their account ends at once."""
    if await role_in(work.session, account_id, project_id) is None:
        raise Invalid(f"account_id: {account_id} is not a member of this project")
    revoked = await revoke_sessions(work.session, account_id)
    await work.commit()
    return {"revoked": revoked}


class KeyOut(OutModel):
    id: uuid.UUID
    name: str
    kind: KeyKind
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    created_by: str | None


class CreatedKey(KeyOut):
    key: str


class KeyIn(ManagementModel):
    name: str = Field(min_length=1, max_length=100)
    kind: KeyKind


class RotateIn(ManagementModel):
    overlap_minutes: int = Field(default=24 * 60, ge=0, le=30 * 24 * 60)


class Rotated(OutModel):
    old: KeyOut
    new: CreatedKey


@router.get("/keys")
async def keys(project_id: Admin, session: SessionDep) -> list[KeyOut]:
    """The project's keys that work (by prefix: a key is shown once, when made)."""
    return [KeyOut.model_validate(k) for k in await list_keys(session, project_id)]


@router.post("/keys", status_code=201)
async def new_key(project_id: Admin, body: KeyIn, who: CallerDep, work: WorkDep) -> CreatedKey:
    """A named `public` (pk_…) or `secret` (sk_…) key; the response is the only time it is shown."""
    issued = await create_key(work.session, project_id, body.name, body.kind, who.actor.label)
    await work.commit()
    return CreatedKey(**KeyOut.model_validate(issued.key).model_dump(), key=issued.secret)


@router.post("/keys/{key_id}/rotate")
async def rotate(
    project_id: Admin, key_id: uuid.UUID, body: RotateIn, who: CallerDep, work: WorkDep, request: Request
) -> Rotated:
    """A new key of the same name and kind; the old one keeps working for `overlap_minutes` (a day by
    default), so clients can move over without an outage."""
    old, issued = await rotate_key(work.session, project_id, key_id, timedelta(minutes=body.overlap_minutes),
                                   who.actor.label)  # fmt: skip
    await work.commit()
    _forget_keys(request)
    new = CreatedKey(**KeyOut.model_validate(issued.key).model_dump(), key=issued.secret)
    return Rotated(old=KeyOut.model_validate(old), new=new)


@router.delete("/keys/{key_id}", status_code=204)
async def revoke(project_id: Admin, key_id: uuid.UUID, work: WorkDep, request: Request) -> None:
    """Revoke a key: it stops working at once."""
    await revoke_key(work.session, project_id, key_id)
    await work.commit()
    _forget_keys(request)


def _forget_keys(request: Request) -> None:
    cache: KeyCache = request.app.state.key_cache
    cache.clear()


class AuditEntryOut(OutModel):
    id: int
    at: datetime
    actor_kind: str
    actor_id: str
    actor_label: str
    action: str
    object_type: str
    object_id: str | None
    change: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(OutModel):
    results: list[AuditEntryOut]
    next_cursor: str | None


@router.get("/audit")
async def audit(
    project_id: Admin,
    session: SessionDep,
    limit: Limit = 100,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page", max_length=20)] = None,
    object_type: Annotated[str | None, Query(max_length=50)] = None,
    object_id: Annotated[str | None, Query(max_length=200)] = None,
    actor: Annotated[str | None, Query(max_length=64, description="an account, token or key id")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditPage:
    """Every change made through the management API, newest first: who, what, when, before and after."""
    if cursor is not None and not cursor.isdigit():
        raise Invalid("cursor: not a cursor returned by this API")
    found = await read_audit(
        session, project_id, AuditFilter(object_type, object_id, actor, since, until),
        limit, int(cursor) if cursor else None,
    )  # fmt: skip
    entries = [AuditEntryOut.model_validate(e) for e in found]
    return AuditPage(results=entries, next_cursor=str(entries[-1].id) if len(entries) == limit else None)
