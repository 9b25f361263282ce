"""Users: resolution by identifiers, upsert with shallow merge, anonymous→identified merge, delete."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Uuid, delete, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, Invalid, NotFound
from domain.base import utcnow
from domain.events.models import Event
from domain.events.service import emit_system_event
from domain.identifiers import (
    MAX_USER_IDENTIFIERS,
    IdentifierIn,
    IdentifierKey,
    find_owners,
    lock_identifiers,
    sole_owner,
    unique_keys,
)
from domain.journeys.models import JourneyRun
from domain.journeys.service import open_run_workflows
from domain.lists.models import ListMember
from domain.organizations.models import OrganizationMember
from domain.schedules.models import ScheduleAssignment
from domain.users.models import ANONYMOUS_SOURCE, User, UserIdentifier
from domain.users.schemas import PROFILE_FIELDS, UserUpsert
from domain.wire import MAX_DATA_BYTES, data_size

LOCK_SCOPE = "user"


@dataclass
class UpsertOutcome:
    user: User
    created: bool
    changed: list[str]


async def get_user(session: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None or user.project_id != project_id:
        raise NotFound(f"user {user_id} not found")
    return user


async def find_user(session: AsyncSession, project_id: uuid.UUID, keys: Sequence[IdentifierKey]) -> User:
    """The one user the identifiers name; `NotFound` if none, `Conflict` if they name several."""
    owners = set((await find_owners(session, UserIdentifier.user_id, project_id, keys)).values())
    if not owners:
        raise NotFound(f"no user with identifier {', '.join(map(str, keys))}")
    if len(owners) > 1:
        raise Conflict(f"identifiers {', '.join(map(str, keys))} name {len(owners)} different users")
    return await get_user(session, project_id, owners.pop())


async def upsert_user(session: AsyncSession, project_id: uuid.UUID, payload: UserUpsert) -> UpsertOutcome:
    """Create or update the user the identifiers name, merging an anonymous profile into an identified one."""
    keys = unique_keys(payload.identifier)
    await lock_identifiers(session, LOCK_SCOPE, project_id, keys)
    owners = await find_owners(session, UserIdentifier.user_id, project_id, keys)

    created = not owners
    changed: list[str] = []
    if created:
        user = User(id=uuid.uuid4(), project_id=project_id, data={}, version=1, identifiers=[])
        session.add(user)
    else:
        user, merged_fields = await _merge_into_one(session, set(owners.values()))
        changed.extend(merged_fields)

    changed.extend(_attach_identifiers(user, payload.identifier, owners))
    changed.extend(_apply_profile(user, payload))

    if created:
        await session.flush()
        emit_system_event(session, project_id, "user.created", user_id=user.id)
    elif changed:
        user.version += 1
        user.updated_at = utcnow()
        await session.flush()
        emit_system_event(session, project_id, "user.updated", {"changed": changed}, user_id=user.id)
    return UpsertOutcome(user=user, created=created, changed=changed)


async def resolve_or_create_user(
    session: AsyncSession, project_id: uuid.UUID, identifiers: list[IdentifierIn]
) -> uuid.UUID:
    """The id of the user an event's identifiers name, created (with `user.created`) when none has
    them yet. The common case — every identifier already known, one owner — is a single lookup."""
    keys = unique_keys(identifiers)
    owners = await find_owners(session, UserIdentifier.user_id, project_id, keys)
    if (owner := sole_owner(owners, keys)) is not None:
        return owner
    return (await upsert_user(session, project_id, UserUpsert(identifier=identifiers))).user.id


async def delete_user(session: AsyncSession, project_id: uuid.UUID, keys: Sequence[IdentifierKey]) -> list[str]:
    """Delete the user with everything of theirs; returns the workflow ids of their open journey runs,
    for the caller to stop once the deletion is committed."""
    await lock_identifiers(session, LOCK_SCOPE, project_id, keys)
    user = await find_user(session, project_id, keys)
    open_runs = await open_run_workflows(session, JourneyRun.user_id == user.id)
    await session.delete(user)
    await session.flush()
    return open_runs


def _attach_identifiers(
    user: User, identifiers: list[IdentifierIn], owners: dict[IdentifierKey, uuid.UUID]
) -> list[str]:
    changed: list[str] = []
    existing = {IdentifierKey(i.source, i.external_id): i for i in user.identifiers}
    for identifier in identifiers:
        if len(existing) >= MAX_USER_IDENTIFIERS and identifier.key not in existing:
            raise Invalid(f"identifier: a user holds at most {MAX_USER_IDENTIFIERS} identifiers")
        current = existing.get(identifier.key)
        if current is None and identifier.key not in owners:
            new = UserIdentifier(
                project_id=user.project_id,
                source=identifier.source,
                external_id=identifier.external_id,
                metadata_=identifier.metadata,
            )
            user.identifiers.append(new)
            existing[identifier.key] = new
            changed.append("identifier")
        elif current is not None and identifier.metadata is not None and current.metadata_ != identifier.metadata:
            current.metadata_ = identifier.metadata
            current.updated_at = utcnow()
            changed.append("identifier")
    return sorted(set(changed))


def _apply_profile(user: User, payload: UserUpsert) -> list[str]:
    changed: list[str] = []
    for field in PROFILE_FIELDS:
        if field in payload.model_fields_set and getattr(user, field) != getattr(payload, field):
            setattr(user, field, getattr(payload, field))
            changed.append(field)
    if payload.data:
        changed.extend(_merge_data(user, payload.data))
    return changed


def _merge_data(user: User, data: dict[str, Any]) -> list[str]:
    merged = shallow_merge(user.data, data)
    if merged == user.data:
        return []
    changed = [f"data.{key}" for key in data if user.data.get(key, _MISSING) != merged[key]]
    user.data = merged
    return changed


async def update_user_data(session: AsyncSession, user: User, data: dict[str, Any]) -> list[str]:
    """Shallow-merge `data` into the user's data (a journey's Update step); a real change bumps the
    version and emits `user.updated`. Returns the changed paths."""
    changed = _merge_data(user, data)
    if changed:
        user.version += 1
        user.updated_at = utcnow()
        await session.flush()
        emit_system_event(session, user.project_id, "user.updated", {"changed": changed}, user_id=user.id)
    return changed


_MISSING = object()


def shallow_merge(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys of `update` replace those of `current`; nested objects are replaced whole. A merge
    that would grow the data past its limit is refused, so no series of small updates outgrows it."""
    merged = {**current, **update}
    if len(current) and data_size(merged) > MAX_DATA_BYTES:
        raise Invalid(f"data: the merged data would exceed {MAX_DATA_BYTES // 1024} KiB of JSON")
    return merged


async def _merge_into_one(session: AsyncSession, user_ids: set[uuid.UUID]) -> tuple[User, list[str]]:
    """Fold anonymous-only users into the one identified user the identifiers name.

    Two users that both have non-anonymous identifiers are never merged silently: that is a `Conflict`.
    """
    users = list((await session.scalars(select(User).where(User.id.in_(user_ids)).with_for_update())).all())
    if len(users) == 1:
        return users[0], []

    identified = [u for u in users if any(i.source != ANONYMOUS_SOURCE for i in u.identifiers)]
    if len(identified) > 1:
        names = "; ".join(", ".join(f"{i.source}:{i.external_id}" for i in u.identifiers) for u in identified)
        raise Conflict(f"identifiers belong to different identified users ({names}); they are not merged")
    survivor = identified[0] if identified else min(users, key=lambda u: (u.created_at, str(u.id)))
    changed: list[str] = []
    for other in users:
        if other is not survivor:
            changed.extend(await _absorb(session, survivor, other))
    await session.refresh(survivor, ["identifiers"])
    return survivor, sorted(set(changed))


async def _absorb(session: AsyncSession, survivor: User, other: User) -> list[str]:
    """Move everything `other` owns to `survivor` (survivor wins on conflicts), then delete `other`:
    identifiers, events, organization and list memberships, schedules (dynamic lists then follow their
    rules again on the `user.updated` this merge emits)."""
    changed = [f for f in PROFILE_FIELDS if getattr(survivor, f) is None and getattr(other, f) is not None]
    for field in changed:
        setattr(survivor, field, getattr(other, field))
    merged = {**other.data, **survivor.data}
    if merged != survivor.data:
        changed.extend(f"data.{key}" for key in other.data if key not in survivor.data)
        survivor.data = merged
    changed.append("identifier")

    await session.execute(update(UserIdentifier).where(UserIdentifier.user_id == other.id).values(user_id=survivor.id))
    await session.execute(update(Event).where(Event.user_id == other.id).values(user_id=survivor.id))
    await session.execute(
        insert(OrganizationMember)
        .from_select(
            ["organization_id", "user_id", "project_id", "data", "created_at", "updated_at"],
            select(
                OrganizationMember.organization_id,
                literal(survivor.id, Uuid),
                OrganizationMember.project_id,
                OrganizationMember.data,
                OrganizationMember.created_at,
                OrganizationMember.updated_at,
            ).where(OrganizationMember.user_id == other.id),
        )
        .on_conflict_do_nothing()
    )
    await session.execute(
        insert(ListMember)
        .from_select(
            ["list_id", "user_id", "added_at"],
            select(ListMember.list_id, literal(survivor.id, Uuid), ListMember.added_at).where(
                ListMember.user_id == other.id
            ),
        )
        .on_conflict_do_nothing()
    )
    survivor_schedules = select(ScheduleAssignment.definition_id).where(ScheduleAssignment.user_id == survivor.id)
    await session.execute(
        update(ScheduleAssignment)
        .where(ScheduleAssignment.user_id == other.id, ScheduleAssignment.definition_id.not_in(survivor_schedules))
        .values(user_id=survivor.id)
    )
    session.expunge(other)
    await session.execute(delete(User).where(User.id == other.id))
    return changed
