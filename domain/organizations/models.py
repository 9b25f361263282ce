import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.anniversary_index import anniversary_index
from domain.base import Base, Timestamps, new_id


class Organization(Timestamps, Base):
    __tablename__ = "organizations"
    __table_args__ = (
        Index("ix_organizations_data", "data", postgresql_using="gin", postgresql_ops={"data": "jsonb_path_ops"}),
        anniversary_index("organizations"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)

    identifiers: Mapped[list["OrganizationIdentifier"]] = relationship(
        back_populates="organization",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="OrganizationIdentifier.created_at",
    )


class OrganizationIdentifier(Timestamps, Base):
    __tablename__ = "organization_identifiers"
    __table_args__ = (UniqueConstraint("project_id", "source", "external_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(255))
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata")

    organization: Mapped[Organization] = relationship(back_populates="identifiers")


class OrganizationMember(Timestamps, Base):
    __tablename__ = "organization_members"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
