"""Projects: creating them with their first keys, and their settings."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from domain.base import utcnow
from domain.projects.keys import KeyKind, new_key
from domain.projects.models import Project


@dataclass
class CreatedProject:
    project: Project
    public_key: str
    secret_key: str


async def create_project(session: AsyncSession, name: str, created_by: str | None = None) -> CreatedProject:
    """A project with a public and a secret key named `default`."""
    project = Project(id=uuid.uuid4(), name=name)
    session.add(project)
    await session.flush()
    public = new_key(project.id, "default", KeyKind.PUBLIC, created_by)
    secret = new_key(project.id, "default", KeyKind.SECRET, created_by)
    session.add_all([public.key, secret.key])
    await session.flush()
    return CreatedProject(project=project, public_key=public.secret, secret_key=secret.secret)


async def list_projects(session: AsyncSession, only: list[uuid.UUID] | None = None) -> list[Project]:
    """Every project, or those with the given ids."""
    query = select(Project).order_by(Project.created_at)
    if only is not None:
        query = query.where(Project.id.in_(only))
    return list((await session.scalars(query)).all())


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
