"""Lumail-compatible tracking: `POST /api/v1/events {eventType, subscriber, data}`."""

import uuid
from datetime import datetime

from pydantic import ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid
from domain.events.outbox import accept
from domain.events.payloads import ProcessEventInput
from domain.identifiers import DEFAULT_SOURCE, IdentifierKey, find_owners
from domain.users.models import User, UserIdentifier
from domain.wire import EventData, StorableJson

LUMAIL_EVENT_TYPES = frozenset(
    {
        "SUBSCRIBED",
        "UNSUBSCRIBED",
        "TAG_ADDED",
        "TAG_REMOVED",
        "EMAIL_OPENED",
        "EMAIL_CLICKED",
        "EMAIL_SENT",
        "EMAIL_RECEIVED",
        "WORKFLOW_STARTED",
        "WORKFLOW_COMPLETED",
        "WORKFLOW_CANCELED",
        "FIELD_UPDATED",
        "EMAIL_BOUNCED",
        "EMAIL_COMPLAINED",
        "WEBHOOK_EXECUTED",
        "SUBSCRIBER_PAYMENT",
        "SUBSCRIBER_REFUND",
    }
)
PAYMENT_TYPES = frozenset({"SUBSCRIBER_PAYMENT", "SUBSCRIBER_REFUND"})


class LumailEvent(StorableJson):
    model_config = ConfigDict(extra="ignore")

    eventType: str = Field(min_length=1)  # noqa: N815 - Lumail's wire name
    subscriber: str = Field(min_length=1, max_length=320)
    data: EventData

    @model_validator(mode="after")
    def _known_type_and_fields(self) -> "LumailEvent":
        if self.eventType not in LUMAIL_EVENT_TYPES:
            raise ValueError(f"eventType {self.eventType!r} is not one of {', '.join(sorted(LUMAIL_EVENT_TYPES))}")
        if self.eventType in PAYMENT_TYPES:
            amount = self.data.get("amount")
            if isinstance(amount, bool) or not isinstance(amount, int | float):
                raise ValueError(f"data.amount must be a number for {self.eventType}")
            if not isinstance(self.data.get("product"), str):
                raise ValueError(f"data.product must be a string for {self.eventType}")
        return self


async def find_subscriber(session: AsyncSession, project_id: uuid.UUID, subscriber: str) -> uuid.UUID:
    """A subscriber is named by email, by user id, or by external id (source `default`)."""
    if "@" in subscriber:
        user_id = await session.scalar(
            select(User.id)
            .where(User.project_id == project_id, User.email == subscriber)
            .order_by(User.updated_at.desc())
            .limit(1)
        )
        if user_id is not None:
            return user_id
    try:
        user = await session.get(User, uuid.UUID(subscriber))
        if user is not None and user.project_id == project_id:
            return user.id
    except ValueError:
        pass
    key = IdentifierKey(DEFAULT_SOURCE, subscriber)
    owners = await find_owners(session, UserIdentifier.user_id, project_id, [key])
    if key in owners:
        return owners[key]
    raise Invalid(f"subscriber {subscriber!r} not found")


async def accept_tracked(
    session: AsyncSession,
    project_id: uuid.UUID,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    body: LumailEvent,
    created_at: datetime,
) -> None:
    """Accept the tracked event into the outbox, for the subscriber already found."""
    event = ProcessEventInput(
        project_id=str(project_id),
        event_id=str(event_id),
        entity="user",
        name=body.eventType,
        data=body.data,
        occurred_at=created_at.isoformat(),
        user_id=str(user_id),
    )
    await accept(session, [event])
