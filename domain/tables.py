"""Imports every area's tables so `Base.metadata` is complete (Alembic and tests use it)."""

from domain.accounts.models import Account, AccountLink, AccountSession, AccountToken, LoginFailure, ProjectMember
from domain.audit import AuditEntry
from domain.base import Base
from domain.broadcasts.models import Broadcast, BroadcastRecipient
from domain.events.models import Event, EventSchemaProperty
from domain.events.outbox import AcceptedEvent, IdempotencyKey
from domain.journeys.models import (
    BalancerCount,
    Journey,
    JourneyCount,
    JourneyRun,
    JourneyStepVisit,
    JourneyVersion,
)
from domain.lists.models import List, ListMember
from domain.messaging.models import (
    Campaign,
    MessageSend,
    Provider,
    SubscriptionGroup,
    Suppression,
    UserSubscription,
)
from domain.organizations.models import Organization, OrganizationIdentifier, OrganizationMember
from domain.projects.models import Project, ProjectKey
from domain.schedules.models import ScheduleAssignment, ScheduleCursor, ScheduleDefinition, ScheduleFire
from domain.trends.models import FoldMark, HourlyCount
from domain.users.models import User, UserIdentifier

__all__ = [
    "Account",
    "AccountLink",
    "AccountSession",
    "AccountToken",
    "AuditEntry",
    "LoginFailure",
    "ProjectKey",
    "ProjectMember",
    "AcceptedEvent",
    "BalancerCount",
    "Base",
    "Broadcast",
    "BroadcastRecipient",
    "Campaign",
    "Event",
    "FoldMark",
    "HourlyCount",
    "EventSchemaProperty",
    "IdempotencyKey",
    "Journey",
    "JourneyCount",
    "JourneyRun",
    "JourneyStepVisit",
    "JourneyVersion",
    "List",
    "ListMember",
    "MessageSend",
    "Organization",
    "OrganizationIdentifier",
    "OrganizationMember",
    "Project",
    "Provider",
    "ScheduleAssignment",
    "ScheduleCursor",
    "ScheduleDefinition",
    "ScheduleFire",
    "SubscriptionGroup",
    "Suppression",
    "User",
    "UserIdentifier",
    "UserSubscription",
]
