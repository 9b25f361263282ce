"""Providers, subscription groups, campaigns and users' subscription choices (management API)."""

import uuid
from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.credentials import CredentialCipher, CredentialsUnreadable
from core.errors import Invalid
from domain.base import get_owned, utcnow
from domain.events.service import emit_system_event
from domain.messaging.models import Campaign, Provider, SubscriptionGroup, UserSubscription
from domain.messaging.schemas import (
    CHANNEL_OF_PROVIDER,
    CampaignIn,
    ProviderIn,
    SubscriptionGroupIn,
    SubscriptionIn,
    SubscriptionOut,
)
from domain.projects.models import Project
from domain.templating import check_json_template, check_template
from domain.unit_of_work import UnitOfWork

# Provider settings that are credentials: sealed at rest, never echoed.
SECRET_FIELDS = ("password", "auth_token", "headers")


# ---------------------------------------------------------------- providers


def _settings_and_secrets(payload: ProviderIn) -> tuple[dict[str, Any], dict[str, Any]]:
    """The provider's settings, and apart from them its secrets (passwords, tokens, webhook headers)."""
    settings = payload.config.model_dump(mode="json", by_alias=False)
    secrets = {name: settings.pop(name) for name in SECRET_FIELDS if name in settings}
    return settings, {name: value for name, value in secrets.items() if value}


async def create_provider(
    session: AsyncSession, project_id: uuid.UUID, payload: ProviderIn, cipher: CredentialCipher
) -> Provider:
    """Stores the provider with its secrets sealed by `cipher`."""
    settings, secrets = _settings_and_secrets(payload)
    provider = Provider(
        id=uuid.uuid4(),
        project_id=project_id,
        name=payload.name,
        kind=payload.kind,
        config=settings,
        sealed_credentials=cipher.seal(secrets) if secrets else None,
    )
    session.add(provider)
    await session.flush()
    return provider


async def update_provider(
    session: AsyncSession, project_id: uuid.UUID, provider_id: uuid.UUID, payload: ProviderIn, cipher: CredentialCipher
) -> Provider:
    """Replaces the provider's name and settings. A secret left out keeps its sealed value (they are
    never shown, so a client cannot send them back); its kind cannot change."""
    provider = await get_provider(session, project_id, provider_id)
    if payload.kind != provider.kind:
        raise Invalid(f"kind: a provider's kind cannot change (this one is {provider.kind}); create another")
    settings, secrets = _settings_and_secrets(payload)
    kept = provider_credentials(provider, cipher)
    merged = {**kept, **secrets}
    provider.name, provider.config = payload.name, settings
    provider.sealed_credentials = cipher.seal(merged) if merged else None
    await session.flush()
    return provider


def provider_credentials(provider: Provider, cipher: CredentialCipher) -> dict[str, Any]:
    """The provider's secrets, opened; `CredentialsUnreadable` when no configured key opens them."""
    return cipher.open(provider.sealed_credentials) if provider.sealed_credentials else {}


async def reseal_credentials(session: AsyncSession, cipher: CredentialCipher) -> tuple[int, list[uuid.UUID]]:
    """Seals every provider's credentials with the cipher's first key (after a key rotation), and seals
    secrets still stored in plain settings (providers created before sealing). Returns how many changed,
    and the providers whose credentials no configured key opens (left as they are)."""
    changed, unreadable = 0, []
    for provider in await session.scalars(select(Provider).with_for_update()):
        plain = {name: provider.config[name] for name in SECRET_FIELDS if provider.config.get(name)}
        if not plain and provider.sealed_credentials is None:
            continue
        try:
            sealed = provider_credentials(provider, cipher)
        except CredentialsUnreadable:
            unreadable.append(provider.id)
            continue
        provider.config = {k: v for k, v in provider.config.items() if k not in SECRET_FIELDS}
        provider.sealed_credentials = cipher.seal({**sealed, **plain})
        changed += 1
    await session.flush()
    return changed, unreadable


async def get_provider(session: AsyncSession, project_id: uuid.UUID, provider_id: uuid.UUID) -> Provider:
    return await get_owned(session, Provider, project_id, provider_id, "provider")


async def project_providers(session: AsyncSession, project_id: uuid.UUID) -> Sequence[Provider]:
    return (await session.scalars(select(Provider).where(Provider.project_id == project_id))).all()


async def delete_provider(session: AsyncSession, project_id: uuid.UUID, provider_id: uuid.UUID) -> None:
    provider = await get_provider(session, project_id, provider_id)
    in_use = await session.scalar(select(Campaign.id).where(Campaign.provider_id == provider.id).limit(1))
    if in_use is not None:
        raise Invalid(f"provider_id: provider {provider_id} is used by campaign {in_use}")
    await session.delete(provider)
    await session.flush()


# ---------------------------------------------------------------- subscription groups


async def create_group(session: AsyncSession, project_id: uuid.UUID, payload: SubscriptionGroupIn) -> SubscriptionGroup:
    group = SubscriptionGroup(id=uuid.uuid4(), project_id=project_id, name=payload.name, channel=payload.channel)
    session.add(group)
    await session.flush()
    return group


async def project_groups(session: AsyncSession, project_id: uuid.UUID) -> Sequence[SubscriptionGroup]:
    query = select(SubscriptionGroup).where(SubscriptionGroup.project_id == project_id)
    return (await session.scalars(query.order_by(SubscriptionGroup.created_at))).all()


async def delete_group(session: AsyncSession, project_id: uuid.UUID, group_id: uuid.UUID) -> None:
    await session.delete(await get_owned(session, SubscriptionGroup, project_id, group_id, "subscription group"))
    await session.flush()


# ---------------------------------------------------------------- campaigns


async def create_campaign(session: AsyncSession, project_id: uuid.UUID, payload: CampaignIn) -> Campaign:
    campaign = Campaign(id=uuid.uuid4(), project_id=project_id)
    await _apply_campaign(session, project_id, campaign, payload)
    session.add(campaign)
    await session.flush()
    return campaign


async def update_campaign(
    session: AsyncSession, project_id: uuid.UUID, campaign_id: uuid.UUID, payload: CampaignIn
) -> Campaign:
    campaign = await get_campaign(session, project_id, campaign_id)
    await _apply_campaign(session, project_id, campaign, payload)
    campaign.updated_at = utcnow()
    await session.flush()
    return campaign


async def _apply_campaign(
    session: AsyncSession, project_id: uuid.UUID, campaign: Campaign, payload: CampaignIn
) -> None:
    provider = await get_provider(session, project_id, payload.provider_id)
    if CHANNEL_OF_PROVIDER[provider.kind] != payload.channel:
        raise Invalid(f"provider_id: a {provider.kind} provider cannot send {payload.channel} campaigns")
    if payload.subscription_group_id is not None:
        group = await get_owned(session, SubscriptionGroup, project_id, payload.subscription_group_id, "group")
        if group.channel != payload.channel:
            raise Invalid(f"subscription_group_id: the group is for {group.channel}, not {payload.channel}")
    templates = {
        locale: template.model_dump(mode="json", exclude_none=True) for locale, template in payload.templates.items()
    }
    for locale, fields in templates.items():
        for name, source in fields.items():
            if name in ("headers", "body"):
                check_json_template(source, f"templates.{locale}.{name}")
            elif name != "method":
                check_template(source, f"templates.{locale}.{name}")
    campaign.name = payload.name
    campaign.channel = payload.channel
    campaign.provider_id = provider.id
    campaign.subscription_group_id = payload.subscription_group_id
    campaign.transactional = payload.transactional
    campaign.templates = templates
    campaign.variables = payload.variables


async def get_campaign(session: AsyncSession, project_id: uuid.UUID, campaign_id: uuid.UUID) -> Campaign:
    return await get_owned(session, Campaign, project_id, campaign_id, "campaign")


async def project_campaigns(session: AsyncSession, project_id: uuid.UUID) -> Sequence[Campaign]:
    query = select(Campaign).where(Campaign.project_id == project_id).order_by(Campaign.created_at)
    return (await session.scalars(query)).all()


async def delete_campaign(session: AsyncSession, project_id: uuid.UUID, campaign_id: uuid.UUID) -> None:
    await session.delete(await get_campaign(session, project_id, campaign_id))
    await session.flush()


# ---------------------------------------------------------------- subscriptions


async def subscription_state(session: AsyncSession, project: Project, user_id: uuid.UUID, group_id: uuid.UUID) -> str:
    """subscribed | unsubscribed: the user's choice, else the project's default (opt-out: subscribed)."""
    chosen = await session.scalar(
        select(UserSubscription.state).where(UserSubscription.user_id == user_id, UserSubscription.group_id == group_id)
    )
    if chosen is not None:
        return chosen
    return "subscribed" if project.subscription_default == "opt_out" else "unsubscribed"


# Where a subscription change came from, as `subscription.updated` records it.
SubscriptionSource = Literal["link", "preferences", "api", "sms_reply"]


async def set_subscription(
    work: UnitOfWork, user_id: uuid.UUID, group: SubscriptionGroup, state: str, source: SubscriptionSource
) -> None:
    """The user's choice for the group; a choice that changes anything is `subscription.updated` on
    their timeline (with the group, the new state and where it came from)."""
    now = utcnow()
    values = {"user_id": user_id, "group_id": group.id, "state": state, "updated_at": now}
    statement = insert(UserSubscription).values(values)
    changed = await work.session.scalar(
        statement.on_conflict_do_update(
            index_elements=[UserSubscription.user_id, UserSubscription.group_id],
            set_={"state": state, "updated_at": now},
            where=UserSubscription.state != state,
        ).returning(UserSubscription.state)
    )
    if changed is not None:
        data = {"group_id": str(group.id), "group": group.name, "channel": group.channel, "state": state,
                "source": source}  # fmt: skip
        emit_system_event(work, group.project_id, "subscription.updated", data, user_id=user_id)


async def change_subscription(
    work: UnitOfWork, project_id: uuid.UUID, user_id: uuid.UUID, payload: SubscriptionIn
) -> None:
    group = await get_owned(work.session, SubscriptionGroup, project_id, payload.group_id, "subscription group")
    await set_subscription(work, user_id, group, payload.state, "api")


async def user_subscriptions(session: AsyncSession, project: Project, user_id: uuid.UUID) -> list[SubscriptionOut]:
    chosen = dict(
        (
            await session.execute(select(UserSubscription.group_id, UserSubscription.state).filter_by(user_id=user_id))
        ).all()
    )
    default = "subscribed" if project.subscription_default == "opt_out" else "unsubscribed"
    return [
        SubscriptionOut(
            group_id=group.id,
            name=group.name,
            channel=group.channel,
            state=chosen.get(group.id, default),  # type: ignore[arg-type]
            explicit=group.id in chosen,
        )
        for group in await project_groups(session, project.id)
    ]
