"""Imports every area's tables so `Base.metadata` is complete (Alembic and tests use it)."""

from domain.base import Base
from domain.events.models import Event, EventSchemaProperty
from domain.lists.models import List, ListMember
from domain.organizations.models import Organization, OrganizationIdentifier, OrganizationMember
from domain.projects.models import Project
from domain.users.models import User, UserIdentifier

__all__ = [
    "Base",
    "Event",
    "EventSchemaProperty",
    "List",
    "ListMember",
    "Organization",
    "OrganizationIdentifier",
    "OrganizationMember",
    "Project",
    "User",
    "UserIdentifier",
]
