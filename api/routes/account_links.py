"""Where invitation and password-reset links lead: `/console/invite/…` and `/console/reset-password/…`.
Plain HTML forms posting to themselves: the link's token is the credential, no session is needed."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import refuse_cross_site, session_policy, set_session_cookie
from api.account_pages import broken_link_page, done_page, invitation_page, reset_page
from api.deps import SessionDep, SettingsDep, WorkDep
from api.errors import DOMAIN_STATUS
from core.config import Settings
from core.errors import DomainError, Gone, NotFound
from domain.accounts.links import accept_invitation, open_link, reset_password
from domain.accounts.models import AccountLink
from domain.accounts.sessions import open_session
from domain.projects.service import get_project

router = APIRouter(prefix="/console", tags=["accounts: link pages"], include_in_schema=False)


async def _opened(session: AsyncSession, settings: Settings, token: str, kind: str) -> AccountLink | HTMLResponse:
    """The link the token names, or the page saying why it does not work (altered, used, expired)."""
    try:
        return await open_link(session, settings.link_secret, token, kind)
    except (NotFound, Gone) as error:
        return HTMLResponse(broken_link_page(error.detail), status_code=DOMAIN_STATUS[type(error)])


async def _project_name(session: AsyncSession, link: AccountLink) -> str:
    return (await get_project(session, link.project_id)).name if link.project_id else "Tempogram"


@router.get("/invite/{token}", response_class=HTMLResponse)
async def invitation(token: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    link = await _opened(session, settings, token, "invite")
    if isinstance(link, HTMLResponse):
        return link
    name = await _project_name(session, link)
    return HTMLResponse(invitation_page(project=name, email=link.email, role=link.role or ""))


@router.post("/invite/{token}", response_class=HTMLResponse)
async def join(
    token: str,
    password: Annotated[str, Form(max_length=1000)],
    request: Request,
    work: WorkDep,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    refuse_cross_site(request, settings)
    link = await _opened(work.session, settings, token, "invite")
    if isinstance(link, HTMLResponse):
        return link
    project_name = await _project_name(work.session, link)
    try:
        account = await accept_invitation(work.session, link, name, password)
    except DomainError as error:
        form = invitation_page(project=project_name, email=link.email, role=link.role or "", error=error.detail)
        return HTMLResponse(form, status_code=DOMAIN_STATUS.get(type(error), 400))
    token_value = await open_session(work.session, account.id, session_policy(settings))
    await work.commit()
    response = HTMLResponse(done_page(project=project_name, title="You are in",
                                      message=f"You joined {project_name} as {link.role}."))  # fmt: skip
    set_session_cookie(response, request, settings, token_value)
    return response


@router.get("/reset-password/{token}", response_class=HTMLResponse)
async def reset_form(token: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    link = await _opened(session, settings, token, "reset")
    if isinstance(link, HTMLResponse):
        return link
    return HTMLResponse(reset_page(email=link.email))


@router.post("/reset-password/{token}", response_class=HTMLResponse)
async def reset(
    token: str, password: Annotated[str, Form(max_length=1000)], request: Request, work: WorkDep, settings: SettingsDep
) -> HTMLResponse:
    refuse_cross_site(request, settings)
    link = await _opened(work.session, settings, token, "reset")
    if isinstance(link, HTMLResponse):
        return link
    try:
        await reset_password(work.session, link, password)
    except DomainError as error:
        return HTMLResponse(reset_page(email=link.email, error=error.detail), status_code=400)
    await work.commit()
    return HTMLResponse(done_page(project="Tempogram", title="Password changed",
                                  message="Your new password works now; log in with it."))  # fmt: skip
