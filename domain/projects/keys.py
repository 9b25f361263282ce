"""A project's API keys: created with the project, named, listed by prefix, rotated with an overlap
window, revoked. The plain key is shown once; only its SHA-256 is stored."""

import enum
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict
from domain.base import get_owned, utcnow
from domain.projects.models import ProjectKey

_PREFIX_LENGTH = 10


class KeyKind(enum.StrEnum):
    PUBLIC = "public"
    SECRET = "secret"


@dataclass(frozen=True)
class FoundKey:
    """What a presented key opens: its project, its kind, and until when (None: until revoked)."""

    key_id: uuid.UUID
    project_id: uuid.UUID
    kind: KeyKind
    name: str
    prefix: str
    expires_at: datetime | None


@dataclass
class IssuedKey:
    key: ProjectKey
    secret: str  # the plain key: shown once


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(project_id: uuid.UUID, name: str, kind: KeyKind, created_by: str | None) -> IssuedKey:
    plain = ("pk_" + secrets.token_urlsafe(24)) if kind is KeyKind.PUBLIC else ("sk_" + secrets.token_urlsafe(32))
    row = ProjectKey(
        id=uuid.uuid4(), project_id=project_id, name=name, kind=kind.value, prefix=plain[:_PREFIX_LENGTH],
        key_hash=hash_key(plain), created_at=utcnow(), created_by=created_by,
    )  # fmt: skip
    return IssuedKey(row, plain)


async def create_key(
    session: AsyncSession, project_id: uuid.UUID, name: str, kind: KeyKind, created_by: str | None
) -> IssuedKey:
    issued = new_key(project_id, name, kind, created_by)
    session.add(issued.key)
    await session.flush()
    return issued


async def list_keys(session: AsyncSession, project_id: uuid.UUID) -> list[ProjectKey]:
    """The project's keys that still open something (rotated ones until their overlap ends)."""
    now = utcnow()
    query = select(ProjectKey).where(
        ProjectKey.project_id == project_id,
        ProjectKey.revoked_at.is_(None),
        or_(ProjectKey.expires_at.is_(None), ProjectKey.expires_at > now),
    )
    return list((await session.scalars(query.order_by(ProjectKey.created_at, ProjectKey.id))).all())


async def rotate_key(
    session: AsyncSession, project_id: uuid.UUID, key_id: uuid.UUID, overlap: timedelta, created_by: str | None
) -> tuple[ProjectKey, IssuedKey]:
    """A new key of the same name and kind; the old one keeps working for `overlap`, then stops."""
    old = await _usable(session, project_id, key_id)
    old.expires_at = utcnow() + overlap if old.expires_at is None else min(old.expires_at, utcnow() + overlap)
    issued = await create_key(session, project_id, old.name, KeyKind(old.kind), created_by)
    return old, issued


async def revoke_key(session: AsyncSession, project_id: uuid.UUID, key_id: uuid.UUID) -> ProjectKey:
    key = await _usable(session, project_id, key_id)
    key.revoked_at = utcnow()
    await session.flush()
    return key


async def _usable(session: AsyncSession, project_id: uuid.UUID, key_id: uuid.UUID) -> ProjectKey:
    key = await get_owned(session, ProjectKey, project_id, key_id, "key")
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= utcnow()):
        raise Conflict(f"key {key_id} no longer opens anything (revoked or expired)")
    return key


async def find_key(session: AsyncSession, key: str) -> FoundKey | None:
    """The project and kind of a presented key, or None when no usable key matches."""
    now = utcnow()
    row = await session.scalar(
        select(ProjectKey).where(
            ProjectKey.key_hash == hash_key(key),
            ProjectKey.revoked_at.is_(None),
            or_(ProjectKey.expires_at.is_(None), ProjectKey.expires_at > now),
        )
    )
    if row is None:
        return None
    return FoundKey(row.id, row.project_id, KeyKind(row.kind), row.name, row.prefix, row.expires_at)
