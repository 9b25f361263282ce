import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.audit import Audited
from domain.base import Base, Timestamps, new_id


class Broadcast(Audited, Timestamps, Base):
    """A campaign sent once to a list's members: at `send_at` (or at once), or at `local_time` on
    `local_date` in each member's timezone. Its audience is the list's members when sending begins."""

    __tablename__ = "broadcasts"
    audit_type = "broadcast"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"))
    send_at: Mapped[datetime | None]
    local_date: Mapped[date | None]
    local_time: Mapped[str | None] = mapped_column(String(5))  # HH:MM
    status: Mapped[str] = mapped_column(String(10), default="scheduled")  # scheduled|sending|completed|cancelled
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class BroadcastRecipient(Base):
    """One member of a broadcast's audience and what happened to their message (NULL: not sent yet)."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (Index("ix_broadcast_recipients_pending", "broadcast_id", "timezone", "user_id"),)

    broadcast_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(10))  # sent | skipped | failed
