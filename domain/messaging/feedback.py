"""What happens to a message after it was sent, recorded as messaging events on the recipient's
timeline (they enter the event pipeline, so journeys can react): clicks and opens from its tracking
links, and the provider's reports — delivered, bounced, complained — and SMS replies. A hard bounce,
a complaint or a STOP reply suppresses the address: nothing is sent to it again, transactional or not."""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid, NotFound
from domain.events.models import Event
from domain.events.service import emit_system_event
from domain.messaging.models import MessageSend, Provider, SubscriptionGroup, Suppression
from domain.messaging.schemas import DeliveryReport, ReportsOut
from domain.messaging.service import set_subscription
from domain.unit_of_work import UnitOfWork
from domain.users.models import User

# Namespace of the ids of events a provider reports once per message (a redelivered report is a no-op).
REPORTED_ONCE = uuid.UUID("0b6f7a3e-51c4-4d59-9b54-2f0c1c1f8a11")
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "UNSTOP", "YES"}
SMS_STATUS_EVENTS = {"delivered": "sms.delivered", "undelivered": "sms.failed", "failed": "sms.failed"}


async def sent_message(session: AsyncSession, message_id: str) -> MessageSend | None:
    """The send a message id (`<key@domain>`, or the bare key, with or without angle brackets) names."""
    key = message_id.strip().strip("<>").partition("@")[0]
    query = select(MessageSend).where(func.split_part(MessageSend.message_id, "@", 1) == key).limit(1)
    return await session.scalar(query)


def _message(send: MessageSend) -> dict[str, str | None]:
    about = {"campaign_id": str(send.campaign_id), "message_id": send.message_id}
    return about | {"journey_id": str(send.journey_id)} if send.journey_id else about


async def record_click(work: UnitOfWork, key: str, url: str) -> None:
    """`email.clicked` and `link.clicked` for the recipient; nothing when the send is gone (the link still works)."""
    session = work.session
    send = await sent_message(session, key)
    if send is None:
        return
    emit_system_event(work, send.project_id, "email.clicked", _message(send) | {"url": url}, user_id=send.user_id)
    clicked = _message(send) | {"original_url": url}
    emit_system_event(work, send.project_id, "link.clicked", clicked, user_id=send.user_id)


async def record_open(work: UnitOfWork, key: str) -> None:
    session = work.session
    send = await sent_message(session, key)
    if send is not None:
        emit_system_event(work, send.project_id, "email.opened", _message(send), user_id=send.user_id)


async def feedback_provider(session: AsyncSession, provider_id: uuid.UUID, kind: str) -> Provider:
    provider = await session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(f"provider {provider_id} not found")
    if (provider.kind == "sms") != (kind == "sms"):
        raise Invalid(f"provider: {provider.kind} providers report to their own feedback_url")
    return provider


async def record_reports(work: UnitOfWork, provider: Provider, reports: Sequence[DeliveryReport]) -> ReportsOut:
    """Each report becomes `email.<type>` for the message's user; unknown message ids are listed, not fatal."""
    session = work.session
    recorded, unknown = 0, []
    for report in reports:
        send = await sent_message(session, report.message_id)
        if send is None or send.project_id != provider.project_id:
            unknown.append(report.message_id)
            continue
        recorded += 1
        data = _message(send)
        if report.type == "bounced":
            data |= {"reason": report.reason, "bounce_type": report.bounce_type}
        elif report.type == "complained":
            data |= {"reason": report.reason}
        elif report.type == "clicked":
            data |= {"url": report.url}
        if report.type in ("opened", "clicked"):  # each open and click counts
            emit_system_event(work, send.project_id, f"email.{report.type}", data, user_id=send.user_id)
        else:
            await _emit_once(work, send, f"email.{report.type}", data)
        if report.type == "complained" or (report.type == "bounced" and report.bounce_type == "hard"):
            address = report.recipient or await session.scalar(select(User.email).where(User.id == send.user_id))
            reason = "complaint" if report.type == "complained" else "hard_bounce"
            if address:
                await suppress(session, send.project_id, "email", address, reason, report.reason)
    return ReportsOut(recorded=recorded, unknown=unknown)


async def record_sms_callback(
    work: UnitOfWork, provider: Provider, form: Mapping[str, str], message_key: str | None
) -> None:
    """A Twilio-style form post: a status callback for a sent message (`MessageStatus`), or a reply
    (`From`, `Body`): STOP words unsubscribe the sender from every SMS group and suppress the number,
    START words undo that; every reply is recorded as `sms.received` for the users with that number."""
    session = work.session
    if "MessageStatus" in form:
        event = SMS_STATUS_EVENTS.get(form["MessageStatus"].lower())
        send = await sent_message(session, message_key) if message_key and event else None
        if event and send is not None and send.project_id == provider.project_id:
            data = _message(send) | ({"error_code": form["ErrorCode"]} if form.get("ErrorCode") else {})
            await _emit_once(work, send, event, data)
        return
    sender, body = form.get("From", "").strip(), form.get("Body", "").strip()
    if not sender:
        raise Invalid("From: the sender's number is required")
    same_number = select(User.id).where(User.project_id == provider.project_id, User.phone == sender)
    users = list(await session.scalars(same_number))
    word = body.upper()
    if word in STOP_WORDS | START_WORDS:
        groups = await session.scalars(
            select(SubscriptionGroup).where(
                SubscriptionGroup.project_id == provider.project_id, SubscriptionGroup.channel == "sms"
            )
        )
        state = "unsubscribed" if word in STOP_WORDS else "subscribed"
        for group in groups.all():
            for user_id in users:
                await set_subscription(work, user_id, group, state, "sms_reply")
        if word in STOP_WORDS:
            await suppress(session, provider.project_id, "sms", sender, "stop", f"replied {word}")
        else:
            await lift_suppression(session, provider.project_id, "sms", sender, only_reason="stop")
    for user_id in users:
        emit_system_event(work, provider.project_id, "sms.received", {"from": sender, "body": body}, user_id=user_id)


async def _emit_once(work: UnitOfWork, send: MessageSend, name: str, data: dict[str, Any]) -> None:
    """A delivery, bounce or complaint happens once per message: a provider retrying its webhook adds nothing."""
    session = work.session
    event_id = uuid.uuid5(REPORTED_ONCE, f"{send.message_id}/{name}")
    if await session.get(Event, event_id) is None:
        emit_system_event(work, send.project_id, name, data, user_id=send.user_id, event_id=event_id)


def normalized(channel: str, address: str) -> str:
    return address.strip().lower() if channel == "email" else address.strip()


async def suppress(
    session: AsyncSession, project_id: uuid.UUID, channel: str, address: str, reason: str, detail: str | None
) -> None:
    values = {"project_id": project_id, "channel": channel, "address": normalized(channel, address)}
    statement = insert(Suppression).values(**values, reason=reason, detail=(detail or "")[:500] or None)
    await session.execute(statement.on_conflict_do_nothing())


async def lift_suppression(
    session: AsyncSession, project_id: uuid.UUID, channel: str, address: str, *, only_reason: str | None = None
) -> bool:
    statement = delete(Suppression).where(
        Suppression.project_id == project_id,
        Suppression.channel == channel,
        Suppression.address == normalized(channel, address),
    )
    if only_reason:
        statement = statement.where(Suppression.reason == only_reason)
    return bool((await session.execute(statement)).rowcount)  # type: ignore[attr-defined]


async def project_suppressions(session: AsyncSession, project_id: uuid.UUID, limit: int = 1000) -> list[Suppression]:
    query = select(Suppression).where(Suppression.project_id == project_id).order_by(Suppression.created_at.desc())
    return list(await session.scalars(query.limit(limit)))


def describe(suppression: Suppression) -> str:
    """Why a send to a suppressed address was skipped."""
    if suppression.reason == "hard_bounce":
        return f"the address bounced ({suppression.detail or 'hard bounce'})"
    if suppression.reason == "complaint":
        return "the recipient reported a message as spam"
    return "the recipient replied STOP"
