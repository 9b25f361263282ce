"""Load what the in-memory rule face needs to know about one user."""

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.events.models import Event
from domain.lists.models import ListMember
from domain.organizations.models import Organization, OrganizationMember
from domain.rules.analysis import walk
from domain.rules.engine import EventFact, OrganizationFact, UserFacts
from domain.rules.model import EventRule, InList, Property, Rule
from domain.users.models import User


async def load_facts(
    session: AsyncSession, user: User, rules: list[Rule], now: datetime, *, memberships: frozenset[str] | None = None
) -> UserFacts:
    """The user's facts the rules can read: organizations and list memberships only when a rule names
    them (most gates and lists look at the profile and events alone, and each is a statement).
    `memberships`: the user's lists, when the caller has read them already (a recompute diffs against
    them)."""
    nodes = [node for rule in rules for node in walk(rule)]
    event_rules = [node for node in nodes if isinstance(node, EventRule)]
    organizations = (
        [
            OrganizationFact(str(org.id), org.name, org.created_at, org.data, member.data)
            for member, org in await session.execute(
                select(OrganizationMember, Organization)
                .join(Organization, Organization.id == OrganizationMember.organization_id)
                .where(OrganizationMember.user_id == user.id)
            )
        ]
        if any(_reads_organizations(node) for node in nodes)
        else []
    )
    user_events = await _events(session, Event.user_id == user.id, event_rules, "user", now)
    org_ids = [uuid.UUID(org.id) for org in organizations]
    org_events = (
        await _events(
            session, Event.organization_id.in_(org_ids) & Event.user_id.is_(None), event_rules, "organization", now
        )
        if org_ids
        else []
    )
    if memberships is not None:
        lists = memberships
    elif any(isinstance(node, InList) for node in nodes):
        lists = frozenset(
            str(list_id)
            for list_id in await session.scalars(select(ListMember.list_id).where(ListMember.user_id == user.id))
        )
    else:
        lists = frozenset()
    return UserFacts(
        email=user.email,
        phone=user.phone,
        timezone=user.timezone,
        locale=user.locale,
        created_at=user.created_at,
        data=user.data,
        organizations=organizations,
        events=user_events,
        organization_events=org_events,
        lists=lists,
    )


async def _events(
    session: AsyncSession, owner: ColumnElement[bool], rules: list[EventRule], entity: str, now: datetime
) -> list[EventFact]:
    """Only the events the rules can count: their names, within the widest window they look back."""
    relevant = [r for r in rules if r.entity == entity]
    if not relevant:
        return []
    query = select(Event.name, Event.data, Event.created_at, Event.organization_id).where(
        owner,
        Event.name.in_(sorted({r.name for r in relevant})),
    )
    if all(r.within is not None for r in relevant):
        query = query.where(Event.created_at >= now - max(r.within for r in relevant if r.within is not None))
    return [
        EventFact(name, data, created_at, str(organization_id) if organization_id else None)
        for name, data, created_at, organization_id in await session.execute(query)
    ]


def _reads_organizations(node: Rule) -> bool:
    return (isinstance(node, Property) and node.scope in ("organization", "member")) or (
        isinstance(node, EventRule) and node.entity == "organization"
    )
