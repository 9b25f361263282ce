import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.audit import Audited
from domain.base import Base, Timestamps, new_id, utcnow


class Provider(Audited, Timestamps, Base):
    """Where messages go: an SMTP server (email), a Twilio-compatible HTTP API (SMS), or webhooks."""

    __tablename__ = "providers"
    audit_type = "provider"
    audit_hidden = frozenset({"sealed_credentials"})

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))  # smtp | sms | webhook
    # Settings without secrets; the secrets (`SECRET_FIELDS`) are sealed apart (core.credentials).
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sealed_credentials: Mapped[str | None]


class SubscriptionGroup(Audited, Timestamps, Base):
    __tablename__ = "subscription_groups"
    audit_type = "subscription_group"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(10))  # email | sms | webhook


class UserSubscription(Base):
    """A user's explicit choice for one group; no row means "not set" (the project default applies)."""

    __tablename__ = "user_subscriptions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscription_groups.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(12))  # subscribed | unsubscribed
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Campaign(Audited, Timestamps, Base):
    """A message: channel, provider, subscription group and per-locale Liquid templates."""

    __tablename__ = "campaigns"
    audit_type = "campaign"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(10))  # email | sms | webhook
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"))
    subscription_group_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subscription_groups.id", ondelete="SET NULL")
    )
    transactional: Mapped[bool] = mapped_column(default=False)
    templates: Mapped[dict[str, Any]] = mapped_column(default=dict)  # locale → template fields
    # Values every template of the campaign sees as `campaign.<name>` (beside `campaign.id`, `campaign.name`).
    variables: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")


class MessageSend(Base):
    """One send attempt per idempotency key (run + step): written before the provider is called and
    finished after, so a retried activity never sends twice."""

    __tablename__ = "message_sends"
    __table_args__ = (
        Index("ix_message_sends_user", "user_id"),
        # Tracking links and SMS callbacks name a send by its message id's key, before the "@".
        Index("ix_message_sends_message_key", func.split_part(text("message_id"), "@", 1)),
    )

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    journey_id: Mapped[uuid.UUID | None]  # the journey whose run sent it (no key: its runs may go first)
    status: Mapped[str] = mapped_column(String(10))  # sending | sent | skipped | failed
    reason: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[str | None] = mapped_column(String(400))
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Suppression(Audited, Base):
    """An address no message goes to, transactional or not: it bounced hard, its owner complained,
    or (SMS) replied STOP. Lifted by the operator, or by a START reply."""

    __tablename__ = "suppressions"
    audit_type = "suppression"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)  # email | sms
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    reason: Mapped[str] = mapped_column(String(20))  # hard_bounce | complaint | stop
    detail: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def audit_object_id(self) -> str:  # keyed by channel and address
        return f"{self.channel}:{self.address}"
