"""Users: resolution by identifiers, upsert with shallow merge, anonymous→identified merge, delete."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, Invalid, NotFound
from domain.base import utcnow
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
from domain.unit_of_work import UnitOfWork
from domain.users.merge import merge_into_one
from domain.users.models import User, UserIdentifier
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


async def upsert_user(work: UnitOfWork, project_id: uuid.UUID, payload: UserUpsert) -> UpsertOutcome:
    """Create or update the user the identifiers name, merging an anonymous profile into an identified one."""
    session = work.session
    keys = unique_keys(payload.identifier)
    await lock_identifiers(session, LOCK_SCOPE, project_id, keys)
    owners = await find_owners(session, UserIdentifier.user_id, project_id, keys)

    created = not owners
    changed: list[str] = []
    if created:
        user = User(id=uuid.uuid4(), project_id=project_id, data={}, version=1, identifiers=[])
        session.add(user)
    else:
        user, merged_fields = await merge_into_one(session, set(owners.values()))
        changed.extend(merged_fields)

    changed.extend(_attach_identifiers(user, payload.identifier, owners))
    changed.extend(_apply_profile(user, payload))

    if created:
        await session.flush()
        emit_system_event(work, project_id, "user.created", user_id=user.id)
    elif changed:
        user.version += 1
        user.updated_at = utcnow()
        await session.flush()
        emit_system_event(work, project_id, "user.updated", {"changed": changed}, user_id=user.id)
    return UpsertOutcome(user=user, created=created, changed=changed)


async def resolve_or_create_user(work: UnitOfWork, project_id: uuid.UUID, identifiers: list[IdentifierIn]) -> uuid.UUID:
    """The id of the user an event's identifiers name, created (with `user.created`) when none has
    them yet. The common case — every identifier already known, one owner — is a single lookup."""
    keys = unique_keys(identifiers)
    owners = await find_owners(work.session, UserIdentifier.user_id, project_id, keys)
    if (owner := sole_owner(owners, keys)) is not None:
        return owner
    return (await upsert_user(work, project_id, UserUpsert(identifier=identifiers))).user.id


async def lock_and_find_user(session: AsyncSession, project_id: uuid.UUID, keys: Sequence[IdentifierKey]) -> User:
    """The user the identifiers name, with their identifiers locked (no upsert can re-create them meanwhile)."""
    await lock_identifiers(session, LOCK_SCOPE, project_id, keys)
    return await find_user(session, project_id, keys)


async def delete_user(session: AsyncSession, user: User) -> None:
    """Delete the user with everything of theirs (the database cascades)."""
    await session.delete(user)
    await session.flush()


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


async def update_user_data(work: UnitOfWork, user: User, data: dict[str, Any]) -> list[str]:
    """Shallow-merge `data` into the user's data (a journey's Update step); a real change bumps the
    version and emits `user.updated`. Returns the changed paths."""
    changed = _merge_data(user, data)
    if changed:
        user.version += 1
        user.updated_at = utcnow()
        await work.session.flush()
        emit_system_event(work, user.project_id, "user.updated", {"changed": changed}, user_id=user.id)
    return changed


_MISSING = object()


def shallow_merge(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys of `update` replace those of `current`; nested objects are replaced whole. A merge
    that would grow the data past its limit is refused, so no series of small updates outgrows it."""
    merged = {**current, **update}
    if len(current) and data_size(merged) > MAX_DATA_BYTES:
        raise Invalid(f"data: the merged data would exceed {MAX_DATA_BYTES // 1024} KiB of JSON")
    return merged
