"""Team members' sessions, personal API tokens, and the invitation and password-reset links."""

import uuid
from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import EmailStr, Field

from api.access import SESSION_COOKIE, PersonDep, refuse_cross_site, session_policy, set_session_cookie
from api.deps import SessionDep, SettingsDep, TemporalDep, WorkDep
from core.errors import TooManyAttempts, Unauthenticated
from domain.accounts.links import (
    accept_invitation,
    email_provider,
    forgotten_password,
    open_link,
    reset_password,
)
from domain.accounts.models import Account
from domain.accounts.service import memberships
from domain.accounts.sessions import current_session, find_account, log_in, open_session, revoke_session
from domain.accounts.tokens import create_token, list_tokens, revoke_token
from domain.projects.service import get_project
from domain.wire import ManagementModel, OutModel
from lifecycle.accounts import email_link

router = APIRouter(prefix="/api/auth", tags=["accounts: sessions"])


class Credentials(ManagementModel):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class ProjectRole(OutModel):
    id: uuid.UUID
    name: str
    role: str


class AccountOut(OutModel):
    id: uuid.UUID
    email: str
    name: str
    instance_admin: bool


class Me(AccountOut):
    projects: list[ProjectRole]


async def me_of(session: SessionDep, account: Account) -> Me:
    mine = await memberships(session, account.id)
    projects = [ProjectRole(id=m.project_id, name=m.project_name, role=m.role) for m in mine]
    return Me(
        id=account.id, email=account.email, name=account.name, instance_admin=account.instance_admin, projects=projects
    )


@router.post("/login")
async def login(body: Credentials, request: Request, response: Response, work: WorkDep, settings: SettingsDep) -> Me:
    """Log in: a session cookie (HttpOnly, SameSite=Lax, Secure behind HTTPS). A wrong password and an
    unknown address get the same 401; ten failures for one address in 15 minutes lock it (429)."""
    if request.headers.get("origin") or request.headers.get("referer"):
        refuse_cross_site(request, settings)
    attempt = await log_in(work.session, body.email, body.password, session_policy(settings))
    await work.commit()  # a failure is counted even though the request fails
    if attempt.locked_for is not None:
        raise TooManyAttempts("too many failed logins for this address: wait, then try again", attempt.locked_for)
    if attempt.account is None or attempt.token is None:
        raise Unauthenticated("wrong email or password")
    set_session_cookie(response, request, settings, attempt.token)
    return await me_of(work.session, attempt.account)


@router.post("/logout", status_code=204)
async def logout(request: Request, work: WorkDep, settings: SettingsDep) -> Response:
    """End this session (its cookie stops working at once, everywhere)."""
    token = request.cookies.get(SESSION_COOKIE)
    found = await current_session(work.session, token, session_policy(settings)) if token else None
    if found is None:
        raise Unauthenticated("no session to end")
    refuse_cross_site(request, settings)
    await revoke_session(work.session, found.session_id)
    await work.commit()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me")
async def me(account: PersonDep, session: SessionDep) -> Me:
    """The account logged in (or whose token this is), and its projects with its role in each."""
    return await me_of(session, account)


class TokenIn(ManagementModel):
    name: str = Field(min_length=1, max_length=100)


class TokenOut(OutModel):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime


class CreatedToken(TokenOut):
    token: str


@router.get("/tokens")
async def tokens(account: PersonDep, session: SessionDep) -> list[TokenOut]:
    """Your personal API tokens (their prefixes; a token is shown once, when made)."""
    return [TokenOut.model_validate(t) for t in await list_tokens(session, account.id)]


@router.post("/tokens", status_code=201)
async def new_token(body: TokenIn, account: PersonDep, work: WorkDep) -> CreatedToken:
    """A personal API token: `Authorization: Bearer tg_…` acts as you, with your role in each project."""
    row, plain = await create_token(work.session, account.id, body.name)
    await work.commit()
    return CreatedToken(id=row.id, name=row.name, prefix=row.prefix, created_at=row.created_at, token=plain)


@router.delete("/tokens/{token_id}", status_code=204)
async def drop_token(token_id: uuid.UUID, account: PersonDep, work: WorkDep) -> None:
    """Revoke one of your tokens: it stops working at once."""
    await revoke_token(work.session, account.id, token_id)
    await work.commit()


class Invitation(OutModel):
    email: str
    project_id: uuid.UUID
    project_name: str
    role: str
    expires_at: datetime


class Acceptance(ManagementModel):
    name: str = Field(default="", max_length=200)
    password: str = Field(min_length=1, max_length=1000)


@router.get("/invitations/{token}")
async def invitation(token: str, session: SessionDep, settings: SettingsDep) -> Invitation:
    """What an invitation link offers: 404 if it is not a valid link, 410 once used or expired."""
    link = await open_link(session, settings.link_secret, token, "invite")
    assert link.project_id is not None and link.role is not None
    project = await get_project(session, link.project_id)
    return Invitation(email=link.email, project_id=project.id, project_name=project.name, role=link.role,
                      expires_at=link.expires_at)  # fmt: skip


@router.post("/invitations/{token}")
async def accept(
    token: str, body: Acceptance, request: Request, response: Response, work: WorkDep, settings: SettingsDep
) -> Me:
    """Accept an invitation: make the account (or, if the address has one, give its password), join the
    project with the invited role, and be logged in."""
    link = await open_link(work.session, settings.link_secret, token, "invite")
    account = await accept_invitation(work.session, link, body.name, body.password)
    session_token = await open_session(work.session, account.id, session_policy(settings))
    await work.commit()
    set_session_cookie(response, request, settings, session_token)
    return await me_of(work.session, account)


class NewPassword(ManagementModel):
    password: str = Field(min_length=1, max_length=1000)


class ResetRequest(ManagementModel):
    email: EmailStr


@router.post("/password-reset", status_code=202)
async def ask_reset(body: ResetRequest, work: WorkDep, temporal: TemporalDep, settings: SettingsDep) -> dict[str, str]:
    """Email a password-reset link, if an account has this address and one of its projects an email
    provider (at most one every 5 minutes per account). The answer is the same either way."""
    account = await find_account(work.session, str(body.email))
    link = await forgotten_password(work.session, account) if account is not None else None
    if link is not None:
        provider = await email_provider(work.session, link)
        await work.commit()
        if provider is not None:
            await email_link(temporal, settings.temporal_task_queue, link.id, provider)
    return {"detail": "if an account has this address and email can reach it, a link is on its way"}


@router.post("/password-reset/{token}")
async def reset(token: str, body: NewPassword, work: WorkDep, settings: SettingsDep) -> AccountOut:
    """Set a new password with a reset link; every session of the account ends."""
    link = await open_link(work.session, settings.link_secret, token, "reset")
    account = await reset_password(work.session, link, body.password)
    await work.commit()
    return AccountOut.model_validate(account)
