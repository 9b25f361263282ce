"""Team accounts: the people who log in to manage projects (not the users who receive messages)."""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from domain.audit import Audited
from domain.base import Base, Timestamps, new_id


class Account(Timestamps, Base):
    __tablename__ = "accounts"
    __table_args__ = (Index("uq_accounts_email", func.lower("email"), unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    instance_admin: Mapped[bool] = mapped_column(default=False)


class AccountSession(Base):
    """A login: the cookie's token is random; only its SHA-256 is stored. It ends when idle too long,
    at its absolute expiry, or when revoked."""

    __tablename__ = "account_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginFailure(Base):
    """A failed login for an address (known or not): ten within the window lock the address out."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_email_at", "email", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime]


class ProjectMember(Audited, Base):
    __tablename__ = "project_members"
    __table_args__ = (Index("ix_project_members_account", "account_id"),)
    audit_type = "member"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))  # owner | admin | editor | viewer
    created_at: Mapped[datetime]

    def audit_object_id(self) -> str:  # a membership is named by its account
        return str(self.account_id)


class AccountLink(Base):
    """An invitation (to a project, with a role) or a password reset: its URL carries the link's id and
    an HMAC of it, so it cannot be forged or altered; it expires, and works once."""

    __tablename__ = "account_links"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(10))  # invite | reset
    email: Mapped[str] = mapped_column(String(320))
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    role: Mapped[str | None] = mapped_column(String(10))
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AccountToken(Base):
    """A personal API token: acts as its account, with the account's role in each project."""

    __tablename__ = "account_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
