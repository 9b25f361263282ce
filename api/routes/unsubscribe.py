"""Recipients' own pages, reached from signed links in messages: one-click unsubscribe and preferences."""

import html
import uuid
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep, WorkDep
from core.errors import NotFound
from domain.messaging.links import UnsubscribeToken, verify_unsubscribe
from domain.messaging.models import SubscriptionGroup
from domain.messaging.service import set_subscription, user_subscriptions
from domain.projects.service import get_project
from domain.users.models import User

router = APIRouter(prefix="/api", tags=["recipients"])


async def _token(session: SessionDep, secret: str, token: str) -> UnsubscribeToken:
    verified = verify_unsubscribe(secret, token)
    user = await session.get(User, verified.user_id)
    if user is None or user.project_id != verified.project_id:
        raise NotFound("the recipient no longer exists")
    return verified


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, operation_id="unsubscribe_by_link")
@router.post("/unsubscribe/{token}", response_class=HTMLResponse, operation_id="unsubscribe_one_click")
async def unsubscribe(token: str, work: WorkDep, settings: SettingsDep) -> HTMLResponse:
    """One click (GET from the link, or POST from a List-Unsubscribe-Post capable mail client)."""
    verified = await _token(work.session, settings.link_secret, token)
    group = await work.session.get(SubscriptionGroup, verified.group_id)
    if group is None or group.project_id != verified.project_id:
        raise NotFound("the subscription group no longer exists")
    await set_subscription(work.session, verified.user_id, group.id, "unsubscribed")
    await work.commit()
    return HTMLResponse(_page("Unsubscribed", f"<p>You will no longer receive {html.escape(group.name)}.</p>"))


@router.get("/preferences/{token}", response_class=HTMLResponse)
async def preferences(token: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
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
    verified = await _token(work.session, settings.link_secret, token)
    group = await work.session.get(SubscriptionGroup, group_id)
    if group is None or group.project_id != verified.project_id:
        raise NotFound(f"group_id: subscription group {group_id} not found")
    await set_subscription(work.session, verified.user_id, group.id, state)
    await work.commit()
    return await preferences(token, work.session, settings)


def _page(title: str, body: str) -> str:
    return f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
