"""A campaign rendered for a chosen user, as a send would render it, without sending anything."""

import uuid
from dataclasses import dataclass
from typing import Any

from liquid.exceptions import LiquidError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid
from domain.base import get_owned, utcnow
from domain.messaging.links import Links
from domain.messaging.models import Campaign
from domain.messaging.sending import message_context, pick_locale, render_fields
from domain.projects.service import get_project
from domain.templating import check_template
from domain.users.service import get_user


@dataclass
class RenderedCampaign:
    locale: str  # the templates' locale the user gets
    fields: dict[str, Any]  # subject, text, html (email); text (SMS); headers, body (webhook)


async def render_for(
    session: AsyncSession,
    links: Links,
    project_id: uuid.UUID,
    campaign_id: uuid.UUID,
    user_id: uuid.UUID,
    templates: dict[str, Any] | None = None,
    journey: dict[str, Any] | None = None,
) -> RenderedCampaign:
    """Render the campaign's templates (or `templates`, unsaved edits) for the user, with `journey` as the
    journey data a run would give them. A template that cannot render is an `Invalid` naming its field."""
    campaign = await get_owned(session, Campaign, project_id, campaign_id, "campaign")
    project = await get_project(session, project_id)
    user = await get_user(session, project_id, user_id)
    chosen = templates if templates is not None else campaign.templates
    template = pick_locale(chosen, user.locale, project.default_locale)
    locale = next((name for name, value in chosen.items() if value is template), project.default_locale)
    for name, source in template.items():
        if isinstance(source, str):
            check_template(source, f"templates.{locale}.{name}")
    context = await message_context(session, links, project, campaign, user, template, journey or {}, utcnow())
    try:
        return RenderedCampaign(locale, render_fields(template, context))
    except LiquidError as error:  # a template that parses but fails on these values (a filter's argument)
        raise Invalid(f"templates.{locale}: {str(error).splitlines()[0]}") from None
