"""Emails for team accounts: invitation and password-reset links, through a project's SMTP provider."""

import uuid

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.messaging import deliver
from core.db import SessionFactory
from domain.accounts.emails import link_email
from domain.accounts.links import link_url
from domain.accounts.models import AccountLink
from domain.accounts.payloads import AccountLinkEmail
from domain.messaging.links import Links
from domain.messaging.models import Provider
from domain.messaging.sending import Outgoing, message_id_domain
from domain.messaging.service import provider_credentials
from domain.projects.models import Project


class AccountActivities:
    def __init__(self, sessions: SessionFactory, links: Links, http: httpx.AsyncClient) -> None:
        self.sessions = sessions
        self.links = links
        self.http = http

    @activity.defn
    async def send_account_link(self, job: AccountLinkEmail) -> bool:
        """Email the link (its URL signed here, so no workflow history holds it); False when the link or
        the provider is gone, or the link was used meanwhile."""
        async with self.sessions() as session:
            link = await session.get(AccountLink, uuid.UUID(job.link_id))
            provider = await session.get(Provider, uuid.UUID(job.provider_id))
            if link is None or provider is None or link.used_at is not None:
                return False
            project = await session.get(Project, link.project_id) if link.project_id else None
            config = {**provider.config, **provider_credentials(provider, self.links.cipher)}
        url = link_url(self.links.public_url, self.links.secret, link)
        email = link_email(link, url, project.name if project else None)
        outgoing = Outgoing(
            channel="email", provider_kind="smtp", config=config, to=link.email,
            fields={"subject": email.subject, "text": email.text},
            message_id=f"{link.id.hex}@{message_id_domain('email', config, self.links)}",
        )  # fmt: skip
        delivery = await deliver(self.http, outgoing, link.id.hex)
        if not delivery.accepted:
            raise ApplicationError(f"the provider refused the email: {delivery.reason}", non_retryable=True)
        return True
