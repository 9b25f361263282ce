import uuid
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base, Timestamps, new_id


class Project(Timestamps, Base):
    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the keys; the plain keys are shown once, at creation.
    public_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    secret_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Messaging settings: the locale templates fall back to, and a subscription group's
    # state for users who never chose ("opt_out": subscribed until they unsubscribe; "opt_in": not).
    default_locale: Mapped[str] = mapped_column(String(35), default="en", server_default="en")
    subscription_default: Mapped[str] = mapped_column(String(10), default="opt_out", server_default="opt_out")
    # Texts of the recipients' pages (unsubscribe, preferences) per locale; English where one is missing.
    page_texts: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
