"""Projects and their API keys. Keys are stored as SHA-256 hashes; the plain keys are shown once."""

import enum
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from domain.base import utcnow
from domain.projects.models import Project


class KeyKind(enum.StrEnum):
    PUBLIC = "public"
    SECRET = "secret"


@dataclass
class CreatedProject:
    project: Project
    public_key: str
    secret_key: str


@dataclass(frozen=True)
class ProjectKey:
    project_id: uuid.UUID
    kind: KeyKind


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_project(session: AsyncSession, name: str) -> CreatedProject:
    public_key = "pk_" + secrets.token_urlsafe(24)
    secret_key = "sk_" + secrets.token_urlsafe(32)
    project = Project(
        id=uuid.uuid4(), name=name, public_key_hash=hash_key(public_key), secret_key_hash=hash_key(secret_key)
    )
    session.add(project)
    await session.flush()
    return CreatedProject(project=project, public_key=public_key, secret_key=secret_key)


async def list_projects(session: AsyncSession) -> list[Project]:
    return list((await session.scalars(select(Project).order_by(Project.created_at))).all())


async def find_project_key(session: AsyncSession, key: str) -> ProjectKey | None:
    """The project and kind of an API key, or None when no project has it."""
    digest = hash_key(key)
    row = (
        await session.execute(
            select(Project.id, Project.secret_key_hash).where(
                or_(Project.public_key_hash == digest, Project.secret_key_hash == digest)
            )
        )
    ).first()
    if row is None:
        return None
    kind = KeyKind.SECRET if row.secret_key_hash == digest else KeyKind.PUBLIC
    return ProjectKey(project_id=row.id, kind=kind)


async def get_project(session: AsyncSession, project_id: uuid.UUID) -> Project:
    project = await session.get(Project, project_id)
    if project is None:
        raise NotFound(f"project {project_id} not found")
    return project


async def update_settings(
    session: AsyncSession,
    project_id: uuid.UUID,
    default_locale: str | None,
    subscription_default: str | None,
    page_texts: dict[str, dict[str, str]] | None = None,
) -> Project:
    project = await get_project(session, project_id)
    if default_locale is not None:
        project.default_locale = default_locale
    if subscription_default is not None:
        project.subscription_default = subscription_default
    if page_texts is not None:
        project.page_texts = page_texts
    project.updated_at = utcnow()
    await session.flush()
    return project
