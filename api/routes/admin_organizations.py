import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.access import Viewer
from api.deps import SessionDep
from api.pagination import Cursor, Limit, Page, after_id, id_page
from domain.events.models import Event
from domain.events.queries import timeline
from domain.events.schemas import TimelinePage
from domain.identifiers import DEFAULT_SOURCE, IdentifierKey
from domain.organizations.models import Organization
from domain.organizations.schemas import MembershipOut, OrganizationOut
from domain.organizations.service import find_organization, get_organization, list_members

router = APIRouter(prefix="/api/admin/projects/{project_id}/organizations", tags=["admin: organizations"])


@router.get("", response_model=None)
async def index(
    project_id: Viewer,
    session: SessionDep,
    external_id: Annotated[str | None, Query(min_length=1)] = None,
    source: Annotated[str, Query(min_length=1)] = DEFAULT_SOURCE,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> OrganizationOut | Page[OrganizationOut]:
    """The project's organizations, by cursor."""
    if external_id is not None:
        found = await find_organization(session, project_id, [IdentifierKey(source, external_id)])
        return OrganizationOut.model_validate(found)
    query = select(Organization).where(Organization.project_id == project_id)
    if (after := after_id(cursor)) is not None:
        query = query.where(Organization.id > after)
    orgs = list((await session.scalars(query.order_by(Organization.id).limit(limit))).all())
    return id_page([OrganizationOut.model_validate(o) for o in orgs], [o.id for o in orgs], limit)


@router.get("/{organization_id}")
async def show(project_id: Viewer, organization_id: uuid.UUID, session: SessionDep) -> OrganizationOut:
    """One organization: name, data and identifiers."""
    return OrganizationOut.model_validate(await get_organization(session, project_id, organization_id))


@router.get("/{organization_id}/users")
async def members(
    project_id: Viewer,
    organization_id: uuid.UUID,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[MembershipOut]:
    """The organization's members, each with the membership's data."""
    await get_organization(session, project_id, organization_id)
    rows = await list_members(session, organization_id, limit, after_id(cursor))
    return id_page([MembershipOut.model_validate(m) for m in rows], [m.user_id for m in rows], limit)


@router.get("/{organization_id}/events")
async def events(
    project_id: Viewer,
    organization_id: uuid.UUID,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> TimelinePage:
    """The organization's own timeline, newest first."""
    await get_organization(session, project_id, organization_id)
    return await timeline(session, Event.organization_id == organization_id, limit, cursor)
