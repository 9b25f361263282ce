"""Providers, subscription groups, campaigns, and a user's subscriptions and messages."""

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import Field

from api.access import Admin, Editor, Viewer
from api.charts import Days, chart
from api.deps import LinksDep, SessionDep, SettingsDep, TemporalDep, WorkDep
from core.errors import NotFound
from domain.messaging.feedback import lift_suppression, project_suppressions
from domain.messaging.links import Links
from domain.messaging.models import Provider
from domain.messaging.payloads import ProviderTestInput
from domain.messaging.preview import render_for
from domain.messaging.schemas import (
    CHANNEL_OF_PROVIDER,
    CampaignIn,
    CampaignOut,
    MessageOut,
    ProviderIn,
    ProviderOut,
    ProviderTestIn,
    ProviderTestOut,
    SubscriptionGroupIn,
    SubscriptionGroupOut,
    SubscriptionIn,
    SubscriptionOut,
    SuppressionOut,
)
from domain.messaging.sending import user_messages
from domain.messaging.service import (
    change_subscription,
    create_campaign,
    create_group,
    create_provider,
    delete_campaign,
    delete_group,
    delete_provider,
    get_campaign,
    get_provider,
    project_campaigns,
    project_groups,
    project_providers,
    update_campaign,
    update_provider,
    user_subscriptions,
)
from domain.projects.service import get_project
from domain.trends.schemas import SeriesOut
from domain.trends.series import ENGAGEMENT
from domain.users.service import get_user
from domain.wire import ManagementModel, OutModel
from lifecycle.messaging import test_provider

router = APIRouter(prefix="/api/admin/projects/{project_id}", tags=["admin: messaging"])


def _provider_out(provider: Provider, links: Links) -> ProviderOut:
    """Never echoes the provider's credentials."""
    return ProviderOut(
        id=provider.id,
        name=provider.name,
        kind=provider.kind,
        channel=CHANNEL_OF_PROVIDER[provider.kind],
        config=provider.config,
        feedback_url=links.provider_feedback(provider.id, provider.kind),
        created_at=provider.created_at,
    )


@router.post("/providers", status_code=201)
async def add_provider(body: ProviderIn, project_id: Admin, work: WorkDep, links: LinksDep) -> ProviderOut:
    """Add an email (SMTP), SMS or webhook provider; its secrets are sealed and never shown again."""
    provider = await create_provider(work.session, project_id, body, links.cipher)
    await work.commit()
    return _provider_out(provider, links)


@router.get("/providers")
async def providers(project_id: Viewer, session: SessionDep, links: LinksDep) -> list[ProviderOut]:
    """The project's providers with their settings (never their secrets) and feedback URLs."""
    return [_provider_out(p, links) for p in await project_providers(session, project_id)]


@router.put("/providers/{provider_id}")
async def edit_provider(
    body: ProviderIn, project_id: Admin, provider_id: uuid.UUID, work: WorkDep, links: LinksDep
) -> ProviderOut:
    """Replace the provider's name and settings; a secret left out (`password`, `auth_token`, `headers`)
    keeps its value. Campaigns using it send with the new settings from their next message on."""
    provider = await update_provider(work.session, project_id, provider_id, body, links.cipher)
    await work.commit()
    return _provider_out(provider, links)


@router.post("/providers/{provider_id}/test")
async def check_provider(
    body: ProviderTestIn,
    project_id: Admin,
    provider_id: uuid.UUID,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> ProviderTestOut:
    """Connect to the provider as a send would (TLS, login) and say what the server answered; with `to`,
    also send a test message. Runs as a `TestProvider` workflow, visible in the Temporal UI."""
    await get_provider(session, project_id, provider_id)
    job = ProviderTestInput(str(project_id), str(provider_id), body.to)
    result = await test_provider(temporal, settings.temporal_task_queue, job)
    return ProviderTestOut(ok=result.ok, answer=result.answer, sent=result.sent)


@router.delete("/providers/{provider_id}", status_code=204)
async def remove_provider(project_id: Admin, provider_id: uuid.UUID, work: WorkDep) -> Response:
    """Delete a provider no campaign uses."""
    await delete_provider(work.session, project_id, provider_id)
    await work.commit()
    return Response(status_code=204)


@router.post("/subscriptions", status_code=201)
async def add_group(body: SubscriptionGroupIn, project_id: Admin, work: WorkDep) -> SubscriptionGroupOut:
    """Add a subscription group: recipients may leave it by channel."""
    group = await create_group(work.session, project_id, body)
    await work.commit()
    return SubscriptionGroupOut.model_validate(group)


@router.get("/subscriptions")
async def groups(project_id: Viewer, session: SessionDep) -> list[SubscriptionGroupOut]:
    """The project's subscription groups."""
    return [SubscriptionGroupOut.model_validate(g) for g in await project_groups(session, project_id)]


@router.delete("/subscriptions/{group_id}", status_code=204)
async def remove_group(project_id: Admin, group_id: uuid.UUID, work: WorkDep) -> Response:
    """Delete a subscription group; its users' choices go with it."""
    await delete_group(work.session, project_id, group_id)
    await work.commit()
    return Response(status_code=204)


@router.post("/campaigns", status_code=201)
async def add_campaign(body: CampaignIn, project_id: Editor, work: WorkDep) -> CampaignOut:
    """Templates are Liquid, per locale; one that does not parse is a 400 naming `templates.<locale>.<field>`."""
    campaign = await create_campaign(work.session, project_id, body)
    await work.commit()
    return CampaignOut.model_validate(campaign)


@router.get("/campaigns")
async def campaigns(project_id: Viewer, session: SessionDep) -> list[CampaignOut]:
    """The project's campaigns."""
    return [CampaignOut.model_validate(c) for c in await project_campaigns(session, project_id)]


@router.get("/campaigns/{campaign_id}")
async def show_campaign(project_id: Viewer, campaign_id: uuid.UUID, session: SessionDep) -> CampaignOut:
    """One campaign with its templates per locale."""
    return CampaignOut.model_validate(await get_campaign(session, project_id, campaign_id))


@router.put("/campaigns/{campaign_id}")
async def edit_campaign(project_id: Editor, campaign_id: uuid.UUID, body: CampaignIn, work: WorkDep) -> CampaignOut:
    """Replace the campaign; sends from now on use it."""
    campaign = await update_campaign(work.session, project_id, campaign_id, body)
    await work.commit()
    return CampaignOut.model_validate(campaign)


class PreviewIn(ManagementModel):
    user_id: uuid.UUID
    # Unsaved templates to render instead of the campaign's (the console's editor), per locale.
    templates: dict[str, dict[str, Any]] | None = None
    # The journey data a run would give the templates (`journey.order.total`).
    journey: dict[str, Any] = Field(default_factory=dict)


class PreviewOut(OutModel):
    locale: str
    fields: dict[str, Any]


@router.post("/campaigns/{campaign_id}/preview")
async def preview_campaign(
    project_id: Viewer, campaign_id: uuid.UUID, body: PreviewIn, session: SessionDep, links: LinksDep
) -> PreviewOut:
    """Render the campaign for a user as a send would (their locale, profile, organization, the signed
    links), sending nothing: what you see is what Liquid will send."""
    rendered = await render_for(session, links, project_id, campaign_id, body.user_id, body.templates, body.journey)
    return PreviewOut(locale=rendered.locale, fields=rendered.fields)


class CampaignTestIn(PreviewIn):
    to: str = Field(min_length=3, max_length=320, description="the address or number the test goes to")


@router.post("/campaigns/{campaign_id}/test")
async def test_campaign(
    project_id: Editor, campaign_id: uuid.UUID, body: CampaignTestIn, session: SessionDep, links: LinksDep,
    temporal: TemporalDep, settings: SettingsDep,
) -> ProviderTestOut:  # fmt: skip
    """Send the campaign (or unsaved `templates`) rendered for a user to `to` only, its subject marked
    "[Test]", through its provider; recorded nowhere. Answers with the provider's answer. Runs as a
    `TestProvider` workflow."""
    campaign = await get_campaign(session, project_id, campaign_id)
    await render_for(session, links, project_id, campaign.id, body.user_id, body.templates, body.journey)  # a 400 now
    job = ProviderTestInput(
        str(project_id), str(campaign.provider_id), body.to, campaign_id=str(campaign.id), user_id=str(body.user_id),
        templates=body.templates, journey=body.journey,
    )  # fmt: skip
    result = await test_provider(temporal, settings.temporal_task_queue, job)
    return ProviderTestOut(ok=result.ok, answer=result.answer, sent=result.sent)


@router.get("/campaigns/{campaign_id}/engagement")
async def campaign_engagement(
    project_id: Viewer, campaign_id: uuid.UUID, session: SessionDep, days: Days = 30
) -> SeriesOut:
    """The campaign's messages sent, delivered, opened, clicked, bounced … over time (counted each minute)."""
    campaign = await get_campaign(session, project_id, campaign_id)
    return await chart(session, campaign.id, ENGAGEMENT, days)


@router.delete("/campaigns/{campaign_id}", status_code=204)
async def remove_campaign(project_id: Editor, campaign_id: uuid.UUID, work: WorkDep) -> Response:
    """Delete the campaign; journeys that send it skip that step, saying why."""
    await delete_campaign(work.session, project_id, campaign_id)
    await work.commit()
    return Response(status_code=204)


@router.get("/users/{user_id}/subscriptions")
async def subscriptions(project_id: Viewer, user_id: uuid.UUID, session: SessionDep) -> list[SubscriptionOut]:
    """Each group with the user's state; `explicit: false` when the project's default applies."""
    user = await get_user(session, project_id, user_id)
    return await user_subscriptions(session, await get_project(session, project_id), user.id)


@router.put("/users/{user_id}/subscriptions")
async def subscribe(
    project_id: Editor, user_id: uuid.UUID, body: SubscriptionIn, work: WorkDep
) -> list[SubscriptionOut]:
    """Set the user's state in a subscription group (`subscription.updated`, source `api`)."""
    user = await get_user(work.session, project_id, user_id)
    await change_subscription(work, project_id, user.id, body)
    await work.commit()
    return await user_subscriptions(work.session, await get_project(work.session, project_id), user.id)


@router.get("/users/{user_id}/messages")
async def messages(project_id: Viewer, user_id: uuid.UUID, session: SessionDep) -> list[MessageOut]:
    """The user's sends, newest first: sent, skipped (with the reason) or failed."""
    user = await get_user(session, project_id, user_id)
    return [MessageOut.model_validate(m) for m in await user_messages(session, user.id)]


@router.get("/suppressions")
async def suppressions(project_id: Viewer, session: SessionDep) -> list[SuppressionOut]:
    """Addresses nothing is sent to: hard bounces, spam complaints, SMS STOP replies (newest first)."""
    return [SuppressionOut.model_validate(s) for s in await project_suppressions(session, project_id)]


@router.delete("/suppressions/{channel}/{address}", status_code=204)
async def lift(project_id: Admin, channel: Literal["email", "sms"], address: str, work: WorkDep) -> Response:
    """Send to this address again (after the recipient fixed their mailbox, or asked to be contacted)."""
    if not await lift_suppression(work.session, project_id, channel, address):
        raise NotFound(f"address: {address} is not suppressed for {channel}")
    await work.commit()
    return Response(status_code=204)
