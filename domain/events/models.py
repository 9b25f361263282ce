import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, utcnow

# What happened to a message: the events the charts count per campaign and journey.
MESSAGING_EVENTS = (
    "email.sent", "sms.sent", "webhook.executed", "email.delivered", "sms.delivered", "email.opened",
    "email.clicked", "email.bounced", "email.complained", "sms.failed",
)  # fmt: skip


class Event(Base):
    """One occurrence on a user's and/or an organization's timeline.

    The id is the pipeline's idempotency key: the event workflow is `event/<project>/<id>` and
    recording is an insert that ignores an existing id, so a retried or re-posted event is stored once.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_user_timeline", "user_id", text("created_at DESC"), text("id DESC")),
        # Event rules: "did <name> N times within <window>" for one user.
        Index("ix_events_user_name_time", "user_id", "name", "created_at"),
        Index("ix_events_organization_timeline", "organization_id", text("created_at DESC"), text("id DESC")),
        Index(
            "ix_events_undispatched",
            "created_at",
            postgresql_where=text("NOT dispatched"),
        ),
        # The charts' fold reads the messaging events recorded since its last pass (domain/trends).
        Index(
            "ix_events_messaging_recorded",
            "recorded_at",
            postgresql_where=text(f"source = 'system' AND name IN ({', '.join(repr(n) for n in MESSAGING_EVENTS)})"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(String(10))  # "client" | "system"
    # System events are written in the transaction that caused them, then their pipeline workflow is
    # started; `dispatched` turns true when that workflow records them. A sweeper restarts the rest.
    dispatched: Mapped[bool] = mapped_column(default=True)
    # When it happened (accepted by the API, or emitted) …
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # … and when the pipeline stored it.
    recorded_at: Mapped[datetime] = mapped_column(server_default=func.now())


class EventSchemaProperty(Base):
    """A property path seen in an event name's data, with its JSON type."""

    __tablename__ = "event_schema_properties"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    entity: Mapped[str] = mapped_column(String(12), primary_key=True)  # "user" | "organization"
    event_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    type: Mapped[str] = mapped_column(String(10), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
