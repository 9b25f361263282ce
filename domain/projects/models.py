import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.audit import Audited
from domain.base import Base, Timestamps, new_id


class Project(Audited, Timestamps, Base):
    __tablename__ = "projects"
    audit_type = "project"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    # Messaging settings: the locale templates fall back to, and a subscription group's
    # state for users who never chose ("opt_out": subscribed until they unsubscribe; "opt_in": not).
    default_locale: Mapped[str] = mapped_column(String(35), default="en", server_default="en")
    subscription_default: Mapped[str] = mapped_column(String(10), default="opt_out", server_default="opt_out")
    # Texts of the recipients' pages (unsubscribe, preferences) per locale; English where one is missing.
    page_texts: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")

    def audit_project_id(self) -> uuid.UUID:
        return self.id


class ProjectKey(Audited, Base):
    """A named API key of a project: `pk_…` (client API) or `sk_…` (both APIs). Stored as its SHA-256;
    `prefix` is what lists show. A rotated key keeps working until `expires_at`; a revoked one stops."""

    __tablename__ = "project_keys"
    __table_args__ = (Index("ix_project_keys_project", "project_id", "created_at"),)
    audit_type = "key"
    audit_hidden = frozenset({"key_hash"})

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # public | secret
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # Who made it: an account id, or null for keys made with the project.
    created_by: Mapped[str | None] = mapped_column(String(400))
