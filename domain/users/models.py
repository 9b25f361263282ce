import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.anniversary_index import anniversary_index
from domain.base import Base, Timestamps, new_id

ANONYMOUS_SOURCE = "anonymous"


class User(Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("ix_users_data", "data", postgresql_using="gin", postgresql_ops={"data": "jsonb_path_ops"}),
        anniversary_index("users"),
        # Finding people by address (the console's search): exact, the email in any case.
        Index("ix_users_email", "project_id", func.lower(text("email"))),
        Index("ix_users_phone", "project_id", "phone"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    timezone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(35))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    has_push_device: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)

    identifiers: Mapped[list["UserIdentifier"]] = relationship(
        back_populates="user",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="UserIdentifier.created_at",
    )


class UserIdentifier(Timestamps, Base):
    __tablename__ = "user_identifiers"
    __table_args__ = (UniqueConstraint("project_id", "source", "external_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(255))
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")

    user: Mapped[User] = relationship(back_populates="identifiers")
