"""Merging users: anonymous profiles fold into the identified user the same identifiers name.

A merge moves what the other user owns in every area (events, organization and list memberships,
schedules); it writes those areas' tables directly, as one statement each, and none of their logic.
"""

import uuid

from sqlalchemy import Uuid, delete, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict
from domain.events.models import Event
from domain.lists.models import ListMember
from domain.organizations.models import OrganizationMember
from domain.schedules.models import ScheduleAssignment
from domain.users.models import ANONYMOUS_SOURCE, User, UserIdentifier
from domain.users.schemas import PROFILE_FIELDS


async def merge_into_one(session: AsyncSession, user_ids: set[uuid.UUID]) -> tuple[User, list[str]]:
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
