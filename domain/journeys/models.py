import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger, String, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.audit import Audited
from domain.base import Base, Timestamps, new_id, utcnow


class Journey(Audited, Timestamps, Base):
    """A journey: its editable draft, and which frozen version new entrants get while it is live."""

    __tablename__ = "journeys"
    audit_type = "journey"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft | live | paused
    draft: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"steps": …, "exit_on": …}
    published_version: Mapped[int | None]
    # Event names the published version's entrances listen for: the pipeline's lookup key.
    entrance_events: Mapped[list[str]] = mapped_column(ARRAY(String(255)), default=list)


class JourneyVersion(Base):
    """A published, frozen definition. Runs pin the version they entered with."""

    __tablename__ = "journey_versions"

    journey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    steps: Mapped[dict[str, Any]]
    exit_on: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JourneyRun(Base):
    """One user's pass through a journey, mirrored from its workflow `journey/<journey_id>/<user_id>[/<n>]`."""

    __tablename__ = "journey_runs"
    __table_args__ = (
        Index("ix_journey_runs_journey_user", "journey_id", "user_id"),
        Index("ix_journey_runs_open_by_user", "user_id", postgresql_where=text("ended_at IS NULL")),
        Index("ix_journey_runs_user_created", "user_id", "created_at"),  # a user's journeys, newest first
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    journey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"))
    version: Mapped[int]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    workflow_id: Mapped[str] = mapped_column(String(300), unique=True)
    entrance_step: Mapped[str] = mapped_column(String(255))
    entering_event_id: Mapped[uuid.UUID | None]
    entrance_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | completed | exited
    current_step: Mapped[str | None] = mapped_column(String(255))
    exit_reason: Mapped[str | None] = mapped_column(String(255))
    # Events that end this run early (the version's `exit_on`): the pipeline signals the run on them.
    exit_events: Mapped[list[str]] = mapped_column(ARRAY(String(255)), default=list)
    started: Mapped[bool] = mapped_column(default=False)  # its workflow is known to have started
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class JourneyStepVisit(Base):
    """A run arriving at a step; the per-step counts of the stats and the run's history."""

    __tablename__ = "journey_step_visits"
    __table_args__ = (Index("ix_journey_step_visits_journey_step", "journey_id", "step_id"),)

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journey_runs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    journey_id: Mapped[uuid.UUID]
    step_id: Mapped[str] = mapped_column(String(255))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where the step led (`next`, `resume_at`, a send's `result`), once done: a retried walk follows it
    # instead of deciding again. Empty while the step is still in progress (a send, a full balancer).
    outcome: Mapped[dict[str, Any] | None]


class BalancerCount(Base):
    """How many runs a balancer sent down each path in one rate-limit window."""

    __tablename__ = "journey_balancer_counts"

    journey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True)
    step_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class JourneyCount(Base):
    """A journey's live counts, kept by triggers on its runs and visits (migration 0019): `entered`,
    `active`, `completed`, `exited`, `reached:<step>` (times runs reached it), `waiting:<step>` (open
    runs standing there), `exited:<step>` (runs that exited there), `version:<n>` and `open:<n>` (runs
    that entered with a version, and those still inside), each spread over shards so
    concurrent runs seldom share a row; sum the shards."""

    __tablename__ = "journey_counts"

    journey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)
