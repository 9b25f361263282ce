"""Broadcasts: schedule, take the audience, hand out batches of recipients, and count progress."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Uuid, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict
from domain.base import get_owned
from domain.broadcasts.models import Broadcast, BroadcastRecipient
from domain.broadcasts.payloads import (
    BroadcastInput,
    Wave,
    audience_moment,
    broadcast_workflow_id,
    local_moment,
)
from domain.broadcasts.schemas import BroadcastCounts, BroadcastIn, BroadcastOut, LocalDelivery
from domain.lists.models import List, ListMember
from domain.messaging.models import Campaign
from domain.users.models import User


async def create_broadcast(session: AsyncSession, project_id: uuid.UUID, payload: BroadcastIn) -> Broadcast:
    campaign = await get_owned(session, Campaign, project_id, payload.campaign_id, "campaign", "campaign_id")
    audience = await get_owned(session, List, project_id, payload.list_id, "list", "list_id")
    broadcast = Broadcast(
        project_id=project_id,
        name=payload.name,
        campaign_id=campaign.id,
        list_id=audience.id,
        send_at=payload.send_at,
        local_date=payload.local.date if payload.local else None,
        local_time=payload.local.time if payload.local else None,
        status="scheduled",
    )
    session.add(broadcast)
    await session.flush()
    return broadcast


def broadcast_input(broadcast: Broadcast) -> BroadcastInput:
    """What the broadcast's workflow starts with: when it takes its audience (empty: at once)."""
    starts_at = audience_moment(broadcast.send_at, broadcast.local_date, broadcast.local_time)
    return BroadcastInput(str(broadcast.project_id), str(broadcast.id), starts_at.isoformat() if starts_at else "")


async def get_broadcast(session: AsyncSession, project_id: uuid.UUID, broadcast_id: uuid.UUID) -> Broadcast:
    return await get_owned(session, Broadcast, project_id, broadcast_id, "broadcast")


async def project_broadcasts(session: AsyncSession, project_id: uuid.UUID) -> Sequence[Broadcast]:
    query = select(Broadcast).where(Broadcast.project_id == project_id).order_by(Broadcast.created_at.desc())
    return (await session.scalars(query)).all()


async def cancel_broadcast(session: AsyncSession, project_id: uuid.UUID, broadcast_id: uuid.UUID) -> Broadcast:
    """Stops sending; messages already sent stay sent."""
    broadcast = await get_broadcast(session, project_id, broadcast_id)
    if broadcast.status in ("completed", "cancelled"):
        raise Conflict(f"broadcast {broadcast_id} is already {broadcast.status}")
    broadcast.status, broadcast.finished_at = "cancelled", datetime.now(UTC)
    return broadcast


async def counts(session: AsyncSession, broadcast: Broadcast) -> BroadcastCounts:
    rows = await session.execute(
        select(BroadcastRecipient.status, func.count())
        .where(BroadcastRecipient.broadcast_id == broadcast.id)
        .group_by(BroadcastRecipient.status)
    )
    by_status: dict[str | None, int] = dict(rows.all())
    return BroadcastCounts(
        total=sum(by_status.values()),
        pending=by_status.get(None, 0),
        sent=by_status.get("sent", 0),
        skipped=by_status.get("skipped", 0),
        failed=by_status.get("failed", 0),
    )


async def broadcast_out(session: AsyncSession, broadcast: Broadcast) -> BroadcastOut:
    local = None
    if broadcast.local_date is not None and broadcast.local_time is not None:
        local = LocalDelivery(date=broadcast.local_date, time=broadcast.local_time)
    return BroadcastOut(
        id=broadcast.id,
        name=broadcast.name,
        campaign_id=broadcast.campaign_id,
        list_id=broadcast.list_id,
        send_at=broadcast.send_at,
        local=local,
        status=broadcast.status,
        progress=await counts(session, broadcast),
        workflow_id=broadcast_workflow_id(str(broadcast.project_id), str(broadcast.id)),
        created_at=broadcast.created_at,
        started_at=broadcast.started_at,
        finished_at=broadcast.finished_at,
    )


async def take_audience(session: AsyncSession, broadcast_id: uuid.UUID, now: datetime) -> list[Wave]:
    """The first time: record the list's members as recipients (with their timezones) and mark the
    broadcast sending. Every time: the waves still to send, earliest first (none once cancelled)."""
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.status in ("cancelled", "completed"):
        return []
    if broadcast.status == "scheduled":
        members = (
            select(literal(broadcast.id, Uuid), User.id, func.coalesce(User.timezone, "UTC"))
            .select_from(ListMember)
            .join(User, User.id == ListMember.user_id)
            .where(ListMember.list_id == broadcast.list_id)
        )
        await session.execute(insert(BroadcastRecipient).from_select(["broadcast_id", "user_id", "timezone"], members))
        broadcast.status, broadcast.started_at = "sending", now

    pending = select(BroadcastRecipient.timezone).where(
        BroadcastRecipient.broadcast_id == broadcast.id, BroadcastRecipient.status.is_(None)
    )
    if broadcast.local_date is None or broadcast.local_time is None:
        any_pending = await session.scalar(select(pending.limit(1).exists()))
        return [Wave(None, (broadcast.send_at or now).isoformat())] if any_pending else []
    timezones = await session.scalars(pending.distinct())
    waves = [Wave(tz, local_moment(broadcast.local_date, broadcast.local_time, tz).isoformat()) for tz in timezones]
    return sorted(waves, key=lambda wave: wave.send_at)


async def next_recipients(
    session: AsyncSession, broadcast_id: uuid.UUID, timezone: str | None, size: int
) -> tuple[Broadcast | None, list[uuid.UUID]]:
    """Up to `size` recipients of a wave not yet sent to, and their broadcast (None once it is over)."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.status != "sending":
        return None, []
    query = select(BroadcastRecipient.user_id).where(
        BroadcastRecipient.broadcast_id == broadcast_id, BroadcastRecipient.status.is_(None)
    )
    if timezone is not None:
        query = query.where(BroadcastRecipient.timezone == timezone)
    return broadcast, list(await session.scalars(query.order_by(BroadcastRecipient.user_id).limit(size)))


async def record_recipient(session: AsyncSession, broadcast_id: uuid.UUID, user_id: uuid.UUID, status: str) -> None:
    await session.execute(
        update(BroadcastRecipient)
        .where(BroadcastRecipient.broadcast_id == broadcast_id, BroadcastRecipient.user_id == user_id)
        .values(status=status)
    )


async def finish_broadcast(session: AsyncSession, broadcast_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == "sending")
        .values(status="completed", finished_at=now)
    )
