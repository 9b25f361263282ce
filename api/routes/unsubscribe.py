"""Recipients' own pages, reached from signed links in messages: unsubscribe (RFC 8058) and preferences.
They speak the recipient's language where the project gives its texts in it."""

import uuid
from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep, SettingsDep, WorkDep
from api.recipient_pages import confirm_page, preferences_page, unsubscribed_page
from core.errors import NotFound
from domain.messaging.links import UnsubscribeToken, verify_unsubscribe
from domain.messaging.models import SubscriptionGroup
from domain.messaging.page_texts import page_texts
from domain.messaging.service import set_subscription, user_subscriptions
from domain.projects.models import Project
from domain.projects.service import get_project
from domain.users.models import User

router = APIRouter(prefix="/api", tags=["recipients"])


@dataclass
class Recipient:
    token: UnsubscribeToken
    project: Project
    lang: str
    texts: dict[str, str]


async def _recipient(session: AsyncSession, secret: str, token: str) -> Recipient:
    verified = verify_unsubscribe(secret, token)
    user = await session.get(User, verified.user_id)
    if user is None or user.project_id != verified.project_id:
        raise NotFound("the recipient no longer exists")
    project = await get_project(session, verified.project_id)
    lang, texts = page_texts(project, user.locale)
    return Recipient(verified, project, lang, texts)


async def _group(session: AsyncSession, recipient: Recipient, group_id: uuid.UUID) -> SubscriptionGroup:
    group = await session.get(SubscriptionGroup, group_id)
    if group is None or group.project_id != recipient.project.id:
        raise NotFound(f"group_id: subscription group {group_id} not found")
    return group


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, operation_id="unsubscribe_confirmation")
async def confirm_unsubscribe(token: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The link in a message: a page asking to confirm. Nothing changes on a GET, so a mail scanner
    that opens every link unsubscribes nobody."""
    recipient = await _recipient(session, settings.link_secret, token)
    group = await _group(session, recipient, recipient.token.group_id)
    project, texts, lang = recipient.project.name, recipient.texts, recipient.lang
    return HTMLResponse(confirm_page(project=project, group=group.name, texts=texts, lang=lang))


@router.post("/unsubscribe/{token}", response_class=HTMLResponse, operation_id="unsubscribe_one_click")
async def unsubscribe(token: str, work: WorkDep, settings: SettingsDep) -> HTMLResponse:
    """The confirmation's button, or a mail client's one-click unsubscribe (`List-Unsubscribe-Post`)."""
    recipient = await _recipient(work.session, settings.link_secret, token)
    group = await _group(work.session, recipient, recipient.token.group_id)
    await set_subscription(work, recipient.token.user_id, group, "unsubscribed", "link")
    await work.commit()
    project, texts, lang = recipient.project.name, recipient.texts, recipient.lang
    page = unsubscribed_page(
        project=project, group=group.name, texts=texts, lang=lang, preferences_url=f"../preferences/{token}"
    )
    return HTMLResponse(page)


@router.get("/preferences/{token}", response_class=HTMLResponse)
async def preferences(token: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The recipient's page of subscription groups, each with a button to change it."""
    recipient = await _recipient(session, settings.link_secret, token)
    groups = await user_subscriptions(session, recipient.project, recipient.token.user_id)
    project, texts, lang = recipient.project.name, recipient.texts, recipient.lang
    return HTMLResponse(preferences_page(project=project, groups=groups, texts=texts, lang=lang))


@router.post("/preferences/{token}", response_class=HTMLResponse)
async def change_preference(
    token: str,
    group_id: uuid.UUID,
    state: Literal["subscribed", "unsubscribed"],
    work: WorkDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """The preference page's button: set one group (`subscription.updated`, source `preferences`)."""
    recipient = await _recipient(work.session, settings.link_secret, token)
    group = await _group(work.session, recipient, group_id)
    await set_subscription(work, recipient.token.user_id, group, state, "preferences")
    await work.commit()
    return await preferences(token, work.session, settings)
