"""Schedules live in PostgreSQL: definitions (name + offsets), assignments (one per user/org and name),
and one due row per (assignment, offset) — the next time that offset fires. A per-tick dispatcher
fans the due rows out into the event pipeline (see docs/schedules.md, "Schedules: why rows in PostgreSQL")."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.audit import Audited
from domain.base import Base, Timestamps, new_id


class ScheduleDefinition(Audited, Timestamps, Base):
    """A schedule name for users or organizations, created on its first use; offsets
    (`[{"id", "interval", "direction"}]`, at least the zero offset) each fire their own event."""

    __tablename__ = "schedule_definitions"
    __table_args__ = (UniqueConstraint("project_id", "entity", "name"),)
    audit_type = "schedule"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(12))  # user | organization
    name: Mapped[str] = mapped_column(String(245))
    offsets: Mapped[list[Any]] = mapped_column(JSONB, default=list)


class ScheduleAssignment(Timestamps, Base):
    """A schedule of one user or organization: a single fire (`scheduled_at`) or a recurrence
    (`interval` from `anchor_at`), with the data every fire carries."""

    __tablename__ = "schedule_assignments"
    __table_args__ = (
        UniqueConstraint("definition_id", "user_id", "organization_id", postgresql_nulls_not_distinct=True),
        Index("ix_schedule_assignments_user_id", "user_id"),
        Index("ix_schedule_assignments_organization_id", "organization_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    definition_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("schedule_definitions.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    scheduled_at: Mapped[datetime | None]
    interval: Mapped[str | None] = mapped_column(String(40))
    start_at: Mapped[datetime | None]
    # Occurrence k of a recurrence is anchor_at + k × interval (calendar-aware, in `timezone`).
    anchor_at: Mapped[datetime]
    timezone: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # active | pausing (the next occurrence still fires) | paused
    status: Mapped[str] = mapped_column(String(10), default="active")
    # While pausing: occurrences at or after this time do not fire.
    pause_from: Mapped[datetime | None]


class ScheduleFire(Base):
    """The next fire of one offset of an assignment: `fire_at = base_at + offset`."""

    __tablename__ = "schedule_fires"
    __table_args__ = (Index("ix_schedule_fires_fire_at", "fire_at"),)

    assignment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("schedule_assignments.id", ondelete="CASCADE"), primary_key=True
    )
    offset_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # Which occurrence this is (k) and when it is: the event id derives from them, so a fire is written once.
    occurrence: Mapped[int]
    base_at: Mapped[datetime]
    fire_at: Mapped[datetime]


class ScheduleCursor(Base):
    """How far a time-swept mechanism (the anniversaries) has fired."""

    __tablename__ = "schedule_cursors"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[datetime]
