import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from domain.audit import Audited
from domain.base import Base, Timestamps, new_id, utcnow


class List(Audited, Timestamps, Base):
    """A segment. Dynamic lists have a published `rule` (and maybe an unpublished `draft_rule`);
    static lists have members added by import or API."""

    __tablename__ = "lists"
    audit_type = "list"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))  # "dynamic" | "static"
    rule: Mapped[dict[str, Any] | None]
    draft_rule: Mapped[dict[str, Any] | None]
    rule_summary: Mapped[str | None] = mapped_column(String(2000))
    # Event names and property scopes the published rule reads: which events recompute it in real time.
    event_names: Mapped[list[str]] = mapped_column(ARRAY(String(255)), default=list)
    version: Mapped[int] = mapped_column(default=1)
    # Seconds between re-evaluations when time alone moves membership (`within`, relative dates).
    refresh_seconds: Mapped[int | None]
    recomputed_at: Mapped[datetime | None]
    recompute_state: Mapped[str] = mapped_column(String(10), default="idle")  # idle | running
    recompute_progress: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ListMember(Base):
    __tablename__ = "list_members"
    __table_args__ = (Index("ix_list_members_user", "user_id"),)

    list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
