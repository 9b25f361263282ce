"""What templates see about their recipient: the same names in journeys' steps and campaigns' messages."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.organizations.models import Organization, OrganizationMember
from domain.users.models import User, UserIdentifier


async def template_context(
    session: AsyncSession, user: User, journey: dict[str, Any], now: datetime, *, sources: object
) -> dict[str, Any]:
    """What templates see: `user` (profile and `user.data`), `organization` (the user's first), `journey`, `now`.

    `sources`: the templates to be rendered. The organization and the user's external id are read only
    when a source mentions `organization` / `external_id` (a template that iterates over the whole
    `user` sees `external_id` empty otherwise), sparing most sends two statements."""
    text = str(sources)
    organization = (
        (
            await session.execute(
                select(Organization, OrganizationMember.data)
                .join(OrganizationMember, OrganizationMember.organization_id == Organization.id)
                .where(OrganizationMember.user_id == user.id)
                .order_by(OrganizationMember.created_at)
                .limit(1)
            )
        ).first()
        if "organization" in text
        else None
    )
    external_id = (
        await session.scalar(
            select(UserIdentifier.external_id)
            .where(UserIdentifier.user_id == user.id)
            .order_by(UserIdentifier.created_at)
            .limit(1)
        )
        if "external_id" in text
        else None
    )
    return {
        "user": {
            "id": str(user.id),
            "email": user.email,
            "phone": user.phone,
            "timezone": user.timezone,
            "locale": user.locale,
            "created_at": user.created_at.isoformat(),
            "external_id": external_id,
            "data": user.data,
        },
        "organization": (
            {
                "id": str(organization[0].id),
                "name": organization[0].name,
                "data": organization[0].data,
                "member": organization[1],
            }
            if organization
            else {}
        ),  # fmt: skip
        "journey": journey,
        "now": now.isoformat(),
    }
