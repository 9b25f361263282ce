"""Recipients' own pages, reached from signed links in messages: unsubscribe (RFC 8058) and preferences."""

import html
import uuid
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep, SettingsDep, WorkDep
from core.errors import NotFound
from domain.messaging.links import UnsubscribeToken, verify_unsubscribe
from domain.messaging.models import SubscriptionGroup
from domain.messaging.service import set_subscription, user_subscriptions
from domain.projects.service import get_project
from domain.users.models import User

router = APIRouter(prefix="/api", tags=["recipients"])


async def _token(session: AsyncSession, secret: str, token: str) -> UnsubscribeToken:
    verified = verify_unsubscribe(secret, token)
    user = await session.get(User, verified.user_id)
    if user is None or user.project_id != verified.project_id:
        raise NotFound("the recipient no longer exists")
    return verified


async def _group(session: AsyncSession, verified: UnsubscribeToken, group_id: uuid.UUID) -> SubscriptionGroup:
    group = await session.get(SubscriptionGroup, group_id)
    if group is None or group.project_id != verified.project_id:
        raise NotFound(f"group_id: subscription group {group_id} not found")
    return group


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, operation_id="unsubscribe_confirmation")
async def confirm_unsubscribe(token: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The link in a message: a page asking to confirm. Nothing changes on a GET, so a mail scanner
    that opens every link unsubscribes nobody."""
    verified = await _token(session, settings.link_secret, token)
    group = await _group(session, verified, verified.group_id)
    form = '<form method="post"><button type="submit">Unsubscribe</button></form>'
    body = f"<p>Stop receiving {html.escape(group.name)}?</p>{form}"
    return HTMLResponse(_page("Unsubscribe", body))


@router.post("/unsubscribe/{token}", response_class=HTMLResponse, operation_id="unsubscribe_one_click")
async def unsubscribe(token: str, work: WorkDep, settings: SettingsDep) -> HTMLResponse:
    """The confirmation's button, or a mail client's one-click unsubscribe (`List-Unsubscribe-Post`)."""
    verified = await _token(work.session, settings.link_secret, token)
    group = await _group(work.session, verified, verified.group_id)
    await set_subscription(work, verified.user_id, group, "unsubscribed", "link")
    await work.commit()
    return HTMLResponse(_page("Unsubscribed", f"<p>You will no longer receive {html.escape(group.name)}.</p>"))


@router.get("/preferences/{token}", response_class=HTMLResponse)
async def preferences(token: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The recipient's page of subscription groups, each with a button to change it."""
    verified = await _token(session, settings.link_secret, token)
    project = await get_project(session, verified.project_id)
    rows = []
    for group in await user_subscriptions(session, project, verified.user_id):
        other = "unsubscribed" if group.state == "subscribed" else "subscribed"
        action = "Unsubscribe" if group.state == "subscribed" else "Subscribe"
        rows.append(
            f"<li>{html.escape(group.name)} ({group.channel}): {group.state} "
            f'<form method="post" style="display:inline" action="?group_id={group.group_id}&state={other}">'
            f"<button>{action}</button></form></li>"
        )
    return HTMLResponse(_page("Your subscriptions", f"<ul>{''.join(rows)}</ul>"))


@router.post("/preferences/{token}", response_class=HTMLResponse)
async def change_preference(
    token: str,
    group_id: uuid.UUID,
    state: Literal["subscribed", "unsubscribed"],
    work: WorkDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """The preference page's button: set one group (`subscription.updated`, source `preferences`)."""
    verified = await _token(work.session, settings.link_secret, token)
    group = await _group(work.session, verified, group_id)
    await set_subscription(work, verified.user_id, group, state, "preferences")
    await work.commit()
    return await preferences(token, work.session, settings)


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
    )
