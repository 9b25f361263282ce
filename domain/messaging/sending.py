"""Sends that happen once per run step: claim the idempotency key, decide (send or skip, and why),
render, and record the outcome. The provider call itself happens between `claim_send` and
`finish_send`, in the activity, outside any transaction.
"""

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import String, Uuid, and_, bindparam, case, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.credentials import CredentialsUnreadable
from core.prepared import Prepared
from domain.base import table_of
from domain.events.service import emit_system_event
from domain.messaging.feedback import describe, normalized, suppress
from domain.messaging.links import Links, UnsubscribeToken, sign_unsubscribe
from domain.messaging.models import Campaign, MessageSend, Provider, SubscriptionGroup, Suppression
from domain.messaging.payloads import SendInput
from domain.messaging.service import provider_credentials, subscription_state
from domain.messaging.tracking import track_html
from domain.projects.models import Project
from domain.template_context import template_context
from domain.templating import render, render_json
from domain.unit_of_work import UnitOfWork
from domain.users.models import User
from domain.users.queries import load_user

SENT_EVENT = {"email": "email.sent", "sms": "sms.sent", "webhook": "webhook.executed"}


@dataclass
class Outgoing:
    """A rendered message, ready for its provider."""

    channel: str
    provider_kind: str
    config: dict[str, Any]
    to: str | None
    fields: dict[str, Any]
    message_id: str
    status_callback: str | None = None  # SMS: where the provider reports delivery
    unsubscribe_url: str | None = None  # email: the List-Unsubscribe header (one click, RFC 8058)
    attempt: int = 1  # of this send's key, counting every claim


# A send whose provider keeps failing for a passing reason (unreachable, "try again later") is tried
# this many times in all, then recorded failed with the last error (docs/messaging.md).
MAX_SEND_ATTEMPTS = 10
# Claimed and not finished: a provider call is under way, or failed for now and will be tried again.
IN_FLIGHT = ("sending", "retrying")


@dataclass
class SendOutcome:
    """What the run step records under its data_key: status sent | skipped | failed, and why."""

    status: str
    campaign_id: str
    message_id: str | None = None
    reason: str | None = None
    response: dict[str, Any] | None = None
    result: dict[str, Any] = field(default_factory=dict)
    bounced: bool = False  # the receiving server refused the address for good (a hard bounce)

    def as_result(self) -> dict[str, Any]:
        result: dict[str, Any] = {"status": self.status, "campaign_id": self.campaign_id, "message_id": self.message_id}
        if self.reason:
            result["reason"] = self.reason
        if self.response is not None:
            result["response"] = self.response
        return result


async def claim_send(session: AsyncSession, job: SendInput, links: Links, now: datetime) -> Outgoing | SendOutcome:
    """A finished outcome when this key was sent or skipped before, or the send must be skipped now;
    else the rendered message, with the key recorded as `sending` (the caller commits before sending).

    A key found still `sending` means an earlier attempt died during the provider call: it is sent
    again with the same message id / idempotency key, which the receiving side can deduplicate."""
    user = await load_user(session, uuid.UUID(job.user_id))
    if user is None:  # the user's sends went with them
        return SendOutcome("skipped", job.campaign_id, reason="the user no longer exists")
    params = _campaign_to_send(uuid.UUID(job.project_id), job.campaign_id, user, job.key)
    found = (await session.execute(_CAMPAIGN_TO_SEND, params)).first()
    if found is None:  # the campaign's sends went with it: nothing to record the skip on but the run
        return SendOutcome("skipped", job.campaign_id, reason="the campaign no longer exists")
    campaign, project, provider, suppressed, claimed = found
    previous: MessageSend | None = None
    if claimed is not None:  # a retried claim: its row is locked, so that one attempt at a time goes on
        previous = await session.get(MessageSend, job.key, with_for_update=True, populate_existing=True)
        if previous is not None and previous.status not in IN_FLIGHT:
            return _outcome(previous)

    if reason := await _skip_reason(session, project, user, campaign, suppressed):
        return await _conclude(session, job, previous, "skipped", reason, now)
    try:
        credentials = provider_credentials(provider, links.cipher)
    except CredentialsUnreadable as error:  # no retry opens them: a configuration to fix
        return await _conclude(session, job, previous, "failed", f"the provider's credentials are {error}", now)

    template = pick_locale(campaign.templates, user.locale, project.default_locale)
    context = await message_context(session, links, project, campaign, user, template, job.data, now)
    fields = render_fields(template, context)
    key = hashlib.sha256(job.key.encode()).hexdigest()[:32]
    message_id = f"{key}@{message_id_domain(campaign.channel, provider.config, links)}"
    if campaign.channel == "email" and fields.get("html"):
        fields["html"] = track_html(fields["html"], key, links)
    if previous is None:
        await _write_send(session, job, "sending", now, message_id=message_id)
    else:
        previous.attempts += 1
        previous.updated_at = now
    to = user.email if campaign.channel == "email" else user.phone if campaign.channel == "sms" else None
    outgoing = Outgoing(campaign.channel, provider.kind, {**provider.config, **credentials}, to, fields, message_id)
    outgoing.attempt = previous.attempts if previous is not None else 1
    if campaign.channel == "email" and campaign.subscription_group_id is not None:
        outgoing.unsubscribe_url = context["unsubscribe_url"]
    if provider.kind == "sms":
        outgoing.status_callback = f"{links.provider_feedback(provider.id, 'sms')}?message_id={key}"
    return outgoing


# The campaign with its project and provider, the suppression of the address its channel sends to and
# an earlier claim of the key (if any): one statement, built once.
_CAMPAIGN_TO_SEND = (
    select(Campaign, Project, Provider, Suppression, MessageSend)
    .join(Project, Project.id == Campaign.project_id)
    .join(Provider, Provider.id == Campaign.provider_id)
    .outerjoin(
        Suppression,
        and_(
            Suppression.project_id == Campaign.project_id,
            Suppression.channel == Campaign.channel,
            Suppression.address
            == case(
                (Campaign.channel == "email", bindparam("email", type_=String)),
                (Campaign.channel == "sms", bindparam("phone", type_=String)),
            ),
        ),
    )
    .outerjoin(MessageSend, MessageSend.key == bindparam("key", type_=String))
    .where(
        Campaign.id == bindparam("campaign_id", type_=Uuid), Campaign.project_id == bindparam("project_id", type_=Uuid)
    )
)


def _campaign_to_send(project_id: uuid.UUID, campaign_id: str, user: User, key: str = "") -> dict[str, Any]:
    return {
        "campaign_id": uuid.UUID(campaign_id),
        "project_id": project_id,
        "email": normalized("email", user.email) if user.email else None,
        "phone": normalized("sms", user.phone) if user.phone else None,
        "key": key,
    }


async def send_check(
    session: AsyncSession, project_id: uuid.UUID, campaign_id: str, user: User
) -> tuple[Campaign | None, str | None]:
    """The campaign, and why a send of it to `user` now would be skipped (None: it would go out). Reads only."""
    found = (await session.execute(_CAMPAIGN_TO_SEND, _campaign_to_send(project_id, campaign_id, user))).first()
    if found is None:
        return None, "the campaign no longer exists"
    campaign, project, _provider, suppressed, _claimed = found
    return campaign, await _skip_reason(session, project, user, campaign, suppressed)


async def _skip_reason(
    session: AsyncSession, project: Project, user: User, campaign: Campaign, suppressed: Suppression | None
) -> str | None:
    if campaign.channel == "email" and not user.email:
        return "the user has no email address"
    if campaign.channel == "sms" and not user.phone:
        return "the user has no phone number"
    if suppressed is not None:
        return describe(suppressed)
    if campaign.transactional or campaign.subscription_group_id is None:
        return None
    state = await subscription_state(session, project, user.id, campaign.subscription_group_id)
    if state == "unsubscribed":
        group = await session.get(SubscriptionGroup, campaign.subscription_group_id)
        return f"unsubscribed from {group.name if group else 'the subscription group'}"
    return None


async def _conclude(
    session: AsyncSession, job: SendInput, previous: MessageSend | None, status: str, reason: str, now: datetime
) -> SendOutcome:
    """The send ends before any provider call: `skipped` (nothing to send) or `failed` (cannot be sent)."""
    if previous is None:
        await _write_send(session, job, status, now, reason=reason)
    else:
        previous.status, previous.reason, previous.updated_at = status, reason, now
    return SendOutcome(status, job.campaign_id, reason=reason)


async def _write_send(
    session: AsyncSession,
    job: SendInput,
    status: str,
    now: datetime,
    *,
    message_id: str | None = None,
    reason: str | None = None,
) -> None:
    """The key's first record. An INSERT rather than an ORM object: nothing reads it back in this
    transaction, and a unit-of-work flush costs ~1 ms of Python per send (measured)."""
    params = {
        "key": job.key,
        "project_id": uuid.UUID(job.project_id),
        "user_id": uuid.UUID(job.user_id),
        "campaign_id": uuid.UUID(job.campaign_id),
        "journey_id": uuid.UUID(job.journey_id) if job.journey_id else None,
        "status": status,
        "reason": reason,
        "message_id": message_id,
        "now": now,
    }
    await _WRITE_SEND.execute(session, params)


# Built once: building a statement and its cache key is Python work on every send.
_sends = table_of(MessageSend)
_WRITE_SEND = Prepared(
    insert(_sends).values(
        key=bindparam("key"),
        project_id=bindparam("project_id"),
        user_id=bindparam("user_id"),
        campaign_id=bindparam("campaign_id"),
        journey_id=bindparam("journey_id"),
        status=bindparam("status"),
        reason=bindparam("reason"),
        message_id=bindparam("message_id"),
        result={},
        attempts=1,
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)
_FINISH_SEND = Prepared(
    update(MessageSend)
    # Written out: a prepared statement takes no expanding IN list.
    .where(
        MessageSend.key == bindparam("send_key", type_=String),
        or_(*(MessageSend.status == status for status in IN_FLIGHT)),
    )
    .values(
        status=bindparam("status"), reason=bindparam("reason"), updated_at=bindparam("now"), result=bindparam("result")
    )
    .returning(MessageSend.project_id, MessageSend.user_id)
)


async def finish_send(
    work: UnitOfWork, job: SendInput, outgoing: Outgoing, outcome: SendOutcome, now: datetime
) -> SendOutcome:
    """Record the provider's answer and the messaging event (`email.sent`, `sms.sent`, `webhook.executed`)."""
    session = work.session
    params = {
        "send_key": job.key,
        "status": outcome.status,
        "reason": outcome.reason,
        "now": now,
        "result": outcome.as_result(),
    }
    send = next(iter(await _FINISH_SEND.execute(session, params)), None)
    if send is None:  # finished by a concurrent attempt (or gone)
        finished = await session.get(MessageSend, job.key)
        return _outcome(finished) if finished else outcome
    event: dict[str, Any] = {"campaign_id": job.campaign_id, "message_id": outgoing.message_id}
    if job.journey_id:
        event["journey_id"] = job.journey_id
    if outcome.bounced and outgoing.to:
        bounce = event | {"reason": outcome.reason, "bounce_type": "hard"}
        emit_system_event(work, send.project_id, "email.bounced", bounce, user_id=send.user_id)
        await suppress(session, send.project_id, outgoing.channel, outgoing.to, "hard_bounce", outcome.reason)
        return outcome
    if outgoing.channel == "webhook":
        status = (outcome.response or {}).get("status")
        event |= {"status": status, "success": outcome.status == "sent", "error_message": outcome.reason}
    elif outcome.status != "sent":
        return outcome
    emit_system_event(work, send.project_id, SENT_EVENT[outgoing.channel], event, user_id=send.user_id)
    return outcome


async def mark_retrying(session: AsyncSession, key: str, reason: str, now: datetime) -> None:
    """The provider failed for now: the send shows `retrying` with the error until a later attempt ends it."""
    await session.execute(
        update(MessageSend)
        .where(MessageSend.key == key, MessageSend.status.in_(IN_FLIGHT))
        .values(status="retrying", reason=reason[:500], updated_at=now)
    )


def _outcome(send: MessageSend) -> SendOutcome:
    if send.result:
        return SendOutcome(
            send.status,
            str(send.campaign_id),
            message_id=send.result.get("message_id"),
            reason=send.result.get("reason"),
            response=send.result.get("response"),
        )
    return SendOutcome(send.status, str(send.campaign_id), message_id=send.message_id, reason=send.reason)


def message_id_domain(channel: str, config: dict[str, Any], links: Links) -> str:
    """The domain after the "@" of a message id: an email's sender domain (what receiving servers and
    DKIM expect), else this deployment's public host."""
    sender = str(config.get("from_address") or "")
    if channel == "email" and "@" in sender:
        return sender.rpartition("@")[2]
    return urlsplit(links.public_url).hostname or "localhost"


async def message_context(
    session: AsyncSession,
    links: Links,
    project: Project,
    campaign: Campaign,
    user: User,
    template: dict[str, Any],
    data: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """What a campaign's templates see for one user: the user, organization, journey data and `now`,
    the campaign and its variables, and the signed unsubscribe and preferences links of its group."""
    context = await template_context(session, user, data, now, sources=template)
    context["campaign"] = {**campaign.variables, "id": str(campaign.id), "name": campaign.name}
    if campaign.subscription_group_id is not None:
        token = sign_unsubscribe(links.secret, UnsubscribeToken(project.id, user.id, campaign.subscription_group_id))
        context["unsubscribe_url"] = f"{links.public_url}/api/unsubscribe/{token}"
        context["preferences_url"] = f"{links.public_url}/api/preferences/{token}"
    return context


def render_fields(template: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """A locale's templates rendered: JSON templates (a webhook's headers and body) to values, the rest to text."""
    return {
        name: render_json(source, context, name) if name in ("headers", "body") else render(source, context)
        for name, source in template.items()
    }


def pick_locale(templates: dict[str, Any], locale: str | None, default_locale: str) -> dict[str, Any]:
    """The user's locale, else its language (`de-AT` → `de`), else the project default, else any."""
    for candidate in (locale, (locale or "").split("-")[0], default_locale):
        if candidate and candidate in templates:
            chosen: dict[str, Any] = templates[candidate]
            return chosen
    first: dict[str, Any] = next(iter(templates.values()))
    return first


async def user_messages(session: AsyncSession, user_id: uuid.UUID, limit: int = 100) -> list[MessageSend]:
    query = select(MessageSend).where(MessageSend.user_id == user_id).order_by(MessageSend.created_at.desc())
    return list(await session.scalars(query.limit(limit)))
