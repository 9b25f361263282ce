"""What happens to a message after it was sent: clicks and opens from its tracking links, recorded as
messaging events on the recipient's timeline (they enter the event pipeline, so journeys can react)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.events.service import emit_system_event
from domain.messaging.links import MESSAGE_ID_DOMAIN
from domain.messaging.models import MessageSend


async def sent_message(session: AsyncSession, message_id: str) -> MessageSend | None:
    """The send a message id (`<key>@tempogram`, or the bare key, with or without angle brackets) names."""
    message_id = message_id.strip().strip("<>")
    if "@" not in message_id:
        message_id += MESSAGE_ID_DOMAIN
    return await session.scalar(select(MessageSend).where(MessageSend.message_id == message_id).limit(1))


async def record_click(session: AsyncSession, key: str, url: str) -> None:
    """`email.clicked` and `link.clicked` for the recipient; nothing when the send is gone (the link still works)."""
    send = await sent_message(session, key)
    if send is None:
        return
    message = {"campaign_id": str(send.campaign_id), "message_id": send.message_id}
    emit_system_event(session, send.project_id, "email.clicked", message | {"url": url}, user_id=send.user_id)
    emit_system_event(session, send.project_id, "link.clicked", message | {"original_url": url}, user_id=send.user_id)


async def record_open(session: AsyncSession, key: str) -> None:
    send = await sent_message(session, key)
    if send is None:
        return
    message = {"campaign_id": str(send.campaign_id), "message_id": send.message_id}
    emit_system_event(session, send.project_id, "email.opened", message, user_id=send.user_id)
