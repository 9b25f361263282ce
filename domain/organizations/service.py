"""Organizations and their members."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, NotFound
from domain.base import utcnow
from domain.events.service import emit_system_event
from domain.identifiers import IdentifierIn, IdentifierKey, find_owners, lock_identifiers, sole_owner, unique_keys
from domain.organizations.models import Organization, OrganizationIdentifier, OrganizationMember
from domain.organizations.schemas import MembershipChange, OrganizationUpsert
from domain.unit_of_work import UnitOfWork
from domain.users.service import find_user, shallow_merge

LOCK_SCOPE = "organization"


@dataclass
class OrganizationOutcome:
    organization: Organization
    created: bool
    changed: list[str]


async def get_organization(session: AsyncSession, project_id: uuid.UUID, organization_id: uuid.UUID) -> Organization:
    organization = await session.get(Organization, organization_id)
    if organization is None or organization.project_id != project_id:
        raise NotFound(f"organization {organization_id} not found")
    return organization


async def find_organization(
    session: AsyncSession, project_id: uuid.UUID, keys: Sequence[IdentifierKey]
) -> Organization:
    owners = set((await find_owners(session, OrganizationIdentifier.organization_id, project_id, keys)).values())
    if not owners:
        raise NotFound(f"no organization with identifier {', '.join(map(str, keys))}")
    if len(owners) > 1:
        raise Conflict(f"identifiers {', '.join(map(str, keys))} name {len(owners)} different organizations")
    return await get_organization(session, project_id, owners.pop())


async def upsert_organization(
    work: UnitOfWork, project_id: uuid.UUID, payload: OrganizationUpsert
) -> OrganizationOutcome:
    session = work.session
    keys = unique_keys(payload.identifier)
    await lock_identifiers(session, LOCK_SCOPE, project_id, keys)
    owners = await find_owners(session, OrganizationIdentifier.organization_id, project_id, keys)
    created = not owners
    changed: list[str] = []
    if created:
        organization = Organization(id=uuid.uuid4(), project_id=project_id, data={}, version=1, identifiers=[])
        session.add(organization)
    else:
        organization = await find_organization(session, project_id, keys)

    changed.extend(_attach_identifiers(organization, payload.identifier, owners))
    if "name" in payload.model_fields_set and payload.name != organization.name:
        organization.name = payload.name
        changed.append("name")
    if payload.data:
        merged = shallow_merge(organization.data, payload.data)
        if merged != organization.data:
            changed.extend(f"data.{k}" for k in payload.data if organization.data.get(k) != merged[k])
            organization.data = merged

    if created:
        await session.flush()
        emit_system_event(work, project_id, "organization.created", organization_id=organization.id)
    elif changed:
        organization.version += 1
        organization.updated_at = utcnow()
        await session.flush()
        emit_system_event(
            work, project_id, "organization.updated", {"changed": changed}, organization_id=organization.id
        )
    return OrganizationOutcome(organization=organization, created=created, changed=changed)


async def resolve_or_create_organization(
    work: UnitOfWork, project_id: uuid.UUID, identifiers: list[IdentifierIn]
) -> uuid.UUID:
    """The id of the organization the identifiers name, created when none has them yet."""
    session = work.session
    keys = unique_keys(identifiers)
    owners = await find_owners(session, OrganizationIdentifier.organization_id, project_id, keys)
    if (owner := sole_owner(owners, keys)) is not None:
        return owner
    outcome = await upsert_organization(work, project_id, OrganizationUpsert(identifier=identifiers))
    return outcome.organization.id


async def delete_organization(work: UnitOfWork, project_id: uuid.UUID, keys: Sequence[IdentifierKey]) -> None:
    """Remove the organization and its memberships; its users stay (each gets `organization.user.removed`)."""
    session = work.session
    await lock_identifiers(session, LOCK_SCOPE, project_id, keys)
    organization = await find_organization(session, project_id, keys)
    members = await session.scalars(
        select(OrganizationMember.user_id).where(OrganizationMember.organization_id == organization.id)
    )
    for user_id in members:
        emit_system_event(
            work,
            project_id,
            "organization.user.removed",
            {"organization_id": str(organization.id)},
            user_id=user_id,
        )
    await session.delete(organization)
    await session.flush()


async def upsert_membership(work: UnitOfWork, project_id: uuid.UUID, change: MembershipChange) -> OrganizationMember:
    """Add the user to the organization, or shallow-merge the membership's data."""
    session = work.session
    organization = await find_organization(session, project_id, unique_keys(change.organization.identifier))
    user = await find_user(session, project_id, unique_keys(change.user.identifier))
    membership = await session.get(
        OrganizationMember, (organization.id, user.id), with_for_update=True, populate_existing=True
    )
    event_data = {"organization_id": str(organization.id), "data": change.data or {}}
    if membership is None:
        membership = OrganizationMember(
            organization_id=organization.id, user_id=user.id, project_id=project_id, data=change.data or {}
        )
        session.add(membership)
        await session.flush()
        emit_system_event(
            work,
            project_id,
            "organization.user.added",
            event_data,
            user_id=user.id,
            organization_id=organization.id,
        )
    elif change.data and shallow_merge(membership.data, change.data) != membership.data:
        membership.data = shallow_merge(membership.data, change.data)
        membership.updated_at = utcnow()
        await session.flush()
        emit_system_event(
            work,
            project_id,
            "organization.user.updated",
            event_data,
            user_id=user.id,
            organization_id=organization.id,
        )
    return membership


async def remove_membership(work: UnitOfWork, project_id: uuid.UUID, change: MembershipChange) -> None:
    session = work.session
    organization = await find_organization(session, project_id, unique_keys(change.organization.identifier))
    user = await find_user(session, project_id, unique_keys(change.user.identifier))
    membership = await session.get(OrganizationMember, (organization.id, user.id))
    if membership is None:
        raise NotFound(f"user {user.id} is not a member of organization {organization.id}")
    await session.delete(membership)
    await session.flush()
    emit_system_event(
        work,
        project_id,
        "organization.user.removed",
        {"organization_id": str(organization.id)},
        user_id=user.id,
        organization_id=organization.id,
    )


async def list_members(
    session: AsyncSession, organization_id: uuid.UUID, limit: int, after: uuid.UUID | None
) -> list[OrganizationMember]:
    query = select(OrganizationMember).where(OrganizationMember.organization_id == organization_id)
    if after is not None:
        query = query.where(OrganizationMember.user_id > after)
    return list((await session.scalars(query.order_by(OrganizationMember.user_id).limit(limit))).all())


def _attach_identifiers(
    organization: Organization, identifiers: list[IdentifierIn], owners: dict[IdentifierKey, uuid.UUID]
) -> list[str]:
    changed = False
    known = {IdentifierKey(i.source, i.external_id) for i in organization.identifiers}
    for identifier in identifiers:
        if identifier.key not in known and identifier.key not in owners:
            organization.identifiers.append(
                OrganizationIdentifier(
                    project_id=organization.project_id,
                    source=identifier.source,
                    external_id=identifier.external_id,
                    metadata_=identifier.metadata,
                )
            )
            known.add(identifier.key)
            changed = True
    return ["identifier"] if changed else []
