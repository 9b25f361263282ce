"""Provider I/O: email over SMTP, SMS over a Twilio-compatible HTTP API, webhooks, and journey actions.

Each send is claimed in PostgreSQL under its idempotency key (run + step visit) before the provider is
called and finished after; a retry after a recorded outcome returns that outcome without sending.
"""

import ssl
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import aiosmtplib
import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core.credentials import CredentialsUnreadable
from core.db import SessionFactory, through_database_outage
from domain.journeys.definition import Action, parse_step
from domain.journeys.execution import run_user
from domain.messaging.links import Links
from domain.messaging.mime import email_bytes
from domain.messaging.payloads import ActionInput, ActionResult, ProviderTestInput, ProviderTestResult, SendInput
from domain.messaging.preview import render_for
from domain.messaging.sending import (
    MAX_SEND_ATTEMPTS,
    Outgoing,
    SendOutcome,
    claim_send,
    finish_send,
    mark_retrying,
    message_id_domain,
)
from domain.messaging.service import get_campaign, get_provider, provider_credentials
from domain.template_context import template_context
from domain.templating import render, render_json
from lifecycle.unit_of_work import Dispatch


@cache
def smtp_tls_context() -> ssl.SSLContext:
    """TLS for every SMTP connection of this process, verifying the server's certificate. Built once:
    building one loads the CA bundle (measured, 50 ms of CPU), and aiosmtplib, given none, builds one
    per connection, so every email paid for it."""
    return ssl.create_default_context(ssl.Purpose.SERVER_AUTH)


@dataclass
class Delivery:
    """A provider's answer: accepted, or refused for good (a retry would not help)."""

    accepted: bool
    reason: str | None = None
    response: dict[str, Any] | None = None
    bounced: bool = False


class MessagingActivities:
    def __init__(self, dispatch: Dispatch, links: Links, http: httpx.AsyncClient) -> None:
        self.dispatch = dispatch
        self.sessions = dispatch.sessions
        self.links = links
        self.http = http

    @activity.defn
    async def test_provider(self, job: ProviderTestInput) -> ProviderTestResult:
        """Connect to the provider as a send would, and send a test message if asked to; the answer,
        whatever it is, is the result (a test does not retry)."""
        async with self.sessions() as session:
            provider = await get_provider(session, uuid.UUID(job.project_id), uuid.UUID(job.provider_id))
            try:
                config = {**provider.config, **provider_credentials(provider, self.links.cipher)}
            except CredentialsUnreadable as error:
                return ProviderTestResult(False, f"the provider's credentials are {error}")
        if job.campaign_id is not None and job.user_id is not None and job.to:
            return await self._test_campaign(job, provider.kind, config)
        if provider.kind == "smtp":
            return await _test_smtp(config, job.to, message_id_domain("email", config, self.links))
        if provider.kind == "sms":
            return await _test_sms(self.http, config, job.to)
        return ProviderTestResult(False, "a webhook provider has no endpoint of its own: its campaigns name the URL")

    async def _test_campaign(self, job: ProviderTestInput, kind: str, config: dict[str, Any]) -> ProviderTestResult:
        """The campaign rendered for the user as a send would, marked a test, sent to `job.to` only."""
        assert job.campaign_id is not None and job.user_id is not None
        project_id = uuid.UUID(job.project_id)
        async with self.sessions() as session:
            campaign = await get_campaign(session, project_id, uuid.UUID(job.campaign_id))
            rendered = await render_for(session, self.links, project_id, campaign.id, uuid.UUID(job.user_id),
                                        job.templates, job.journey)  # fmt: skip
        fields = dict(rendered.fields)
        if "subject" in fields:
            fields["subject"] = f"[Test] {fields['subject']}"
        message_id = f"{uuid.uuid4().hex}@{message_id_domain(campaign.channel, config, self.links)}"
        outgoing = Outgoing(campaign.channel, kind, config, job.to, fields, message_id)
        try:
            delivery = await deliver(self.http, outgoing, f"test/{message_id}")
        except Exception as error:  # a test reports every failure, and does not retry
            return ProviderTestResult(False, f"failed: {type(error).__name__}: {error}")
        answer = delivery.reason or ("accepted" if delivery.accepted else "refused")
        if delivery.response:
            answer = f"{answer}: {str(delivery.response)[:300]}"
        return ProviderTestResult(delivery.accepted, answer, sent=delivery.accepted)

    @activity.defn
    async def run_action(self, job: ActionInput) -> ActionResult:
        """A journey's HTTP action: render, request, and return `{status, headers, body}`.
        5xx answers and network errors raise, so Temporal retries them with backoff."""
        step = parse_step(job.step_id, job.step)
        assert isinstance(step, Action)
        async with self.sessions() as session:
            user = await run_user(session, job.run_id, job.user_id)
            if user is None:
                return ActionResult(status=None, skipped="the run or its user no longer exists")
            variables = await template_context(session, user, job.data, datetime.now(UTC), sources=job.step)
        url = render(step.url, variables)
        headers = render_json(step.headers, variables, "headers") if step.headers else {}
        body = render_json(step.body, variables, "body") if step.body is not None else None
        headers.setdefault("Idempotency-Key", f"{job.run_id}/{job.step_id}/{job.seq}")
        response = await _request(self.http, step.method, url, headers, body)
        if response.status is not None and response.status >= 500:
            raise ApplicationError(f"action {job.step_id}: {url} answered {response.status}")
        return response


async def send_once(
    dispatch: Dispatch,
    links: Links,
    http: httpx.AsyncClient,
    job: SendInput,
    finished: Callable[[AsyncSession, SendOutcome], Awaitable[None]] | None = None,
) -> SendOutcome:
    """Claim, deliver and record one send (its key makes a retry return the first outcome);
    `finished` records more in the transaction that records the outcome."""
    async with dispatch.sessions() as session:
        claim = await claim_send(session, job, links, datetime.now(UTC))
        if isinstance(claim, SendOutcome) and finished:
            await finished(session, claim)
        await session.commit()
    if isinstance(claim, SendOutcome):
        return claim

    delivered = await deliver_send(dispatch.sessions, http, job, claim)

    async def record() -> SendOutcome:
        async with dispatch.open() as work:
            outcome = await finish_send(work, job, claim, delivered, datetime.now(UTC))
            if finished:
                await finished(work.session, outcome)
            await work.commit()
        return outcome

    # The message is out: a retry of the activity would send it again, so wait out a database outage.
    return await through_database_outage(record)


class RetryLater(Exception):
    """The provider failed for a passing reason: the activity's retry tries the send again."""


async def deliver_send(
    sessions: SessionFactory, http: httpx.AsyncClient, job: SendInput, message: Outgoing
) -> SendOutcome:
    """Deliver a claimed send; its outcome (sent, or failed for good) for `finish_send`. A passing
    failure is recorded on the send (`retrying`, with the error) and raised for a retry, until the
    send's last attempt, whose failure is final."""
    try:
        delivery = await deliver(http, message, job.key)
    except Exception as error:  # every failure the provider call did not classify may pass
        reason = f"{type(error).__name__}: {error}"[:400]
        if message.attempt >= MAX_SEND_ATTEMPTS:
            reason = f"gave up after {message.attempt} attempts; last error {reason}"
            return SendOutcome("failed", job.campaign_id, message.message_id, reason)
        async with sessions() as session:
            await mark_retrying(session, job.key, f"attempt {message.attempt} failed: {reason}", datetime.now(UTC))
            await session.commit()
        raise RetryLater(reason) from error
    status = "sent" if delivery.accepted else "failed"
    return SendOutcome(
        status, job.campaign_id, message.message_id, delivery.reason, delivery.response, bounced=delivery.bounced
    )


async def deliver(http: httpx.AsyncClient, message: Outgoing, key: str) -> Delivery:
    """Hand one message to its provider. Transient failures raise (Temporal retries the activity)."""
    if message.provider_kind == "smtp":
        return await _send_email(message)
    if message.provider_kind == "sms":
        return await _send_sms(http, message)
    return await _call_webhook(http, message, key)


async def _send_email(message: Outgoing) -> Delivery:
    config, fields = message.config, message.fields
    mail = email_bytes(
        sender=config["from_address"],
        sender_name=config.get("from_name") or "",
        to=message.to or "",
        subject=fields.get("subject", ""),
        message_id=message.message_id,
        text=fields.get("text") or "",
        html=fields.get("html") or None,
        unsubscribe_url=message.unsubscribe_url,
        sent_at=datetime.now(UTC),
    )
    try:
        await aiosmtplib.send(
            mail,
            sender=config["from_address"],
            recipients=[message.to or ""],
            hostname=config["host"],
            port=config["port"],
            username=config.get("username"),
            password=config.get("password"),
            use_tls=config.get("tls") == "tls",
            start_tls=config.get("tls") == "starttls",
            tls_context=smtp_tls_context(),  # used only when one of the two above asks for TLS
            timeout=30,
        )
    except aiosmtplib.SMTPRecipientsRefused as error:
        refusals = error.recipients
        if any(refusal.code < 500 for refusal in refusals):  # "mailbox busy", greylisting: try again later
            raise
        reason = "; ".join(f"{refusal.code} {refusal.message}" for refusal in refusals)
        return Delivery(False, f"recipient refused: {reason}", bounced=True)  # a hard bounce
    except aiosmtplib.SMTPResponseException as error:
        if 500 <= error.code < 600:  # permanent: retrying will not help
            return Delivery(False, f"SMTP {error.code}: {error.message}")
        raise
    except (aiosmtplib.SMTPException, ssl.SSLError) as error:
        # Permanent: the server lacks what the provider's settings ask for (AUTH, STARTTLS) or its
        # certificate is not trusted; every attempt would fail the same way until the settings change.
        if _untrusted_certificate(error):
            return Delivery(False, "SMTP: the server's certificate is not trusted")
        if isinstance(error, OSError):  # unreachable, hung up, timed out: it may answer later
            raise
        return Delivery(False, f"SMTP: {error}")
    return Delivery(True)


async def _test_smtp(config: dict[str, Any], to: str | None, domain: str) -> ProviderTestResult:
    tls = config.get("tls")
    smtp = aiosmtplib.SMTP(
        hostname=config["host"], port=config["port"], use_tls=tls == "tls", start_tls=False,
        tls_context=smtp_tls_context(), timeout=10,
    )  # fmt: skip
    steps: list[str] = []
    try:
        greeting = await smtp.connect()
        steps.append(f"connected: {greeting.code} {greeting.message}")
        if tls == "starttls":
            upgraded = await smtp.starttls()
            steps.append(f"STARTTLS: {upgraded.code} {upgraded.message}")
        if config.get("username"):
            logged_in = await smtp.login(config["username"], config.get("password") or "")
            steps.append(f"AUTH: {logged_in.code} {logged_in.message}")
        if to:
            sender = config["from_address"]
            mail = email_bytes(
                sender=sender, sender_name=config.get("from_name") or "", to=to, subject="Tempogram test message",
                message_id=f"{uuid.uuid4().hex}@{domain}", html=None, unsubscribe_url=None,
                text="This message tests an email provider's settings.", sent_at=datetime.now(UTC),
            )  # fmt: skip
            _, accepted = await smtp.sendmail(config["from_address"], [to], mail)
            steps.append(f"message: {accepted}")
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError) as error:
        reason = "the server's certificate is not trusted" if _untrusted_certificate(error) else str(error)
        return ProviderTestResult(False, "; ".join([*steps, f"failed: {reason}"]))
    return ProviderTestResult(True, "; ".join(steps), sent=to is not None)


async def _test_sms(http: httpx.AsyncClient, config: dict[str, Any], to: str | None) -> ProviderTestResult:
    """Without a number, whether the endpoint answers at all; with one, a test message."""
    try:
        if to is None:
            response = await http.head(config["url"], timeout=10)
        else:
            body = {"To": to, "From": config["from_number"], "Body": "This message tests an SMS provider's settings."}
            response = await http.post(config["url"], data=body, auth=_sms_auth(config), timeout=10)
    except httpx.HTTPError as error:
        return ProviderTestResult(False, f"failed: {type(error).__name__}: {error}")
    answer = f"{response.status_code} {response.reason_phrase}: {response.text[:300]}"
    if to is None:  # reachable is enough: an endpoint may refuse a HEAD without credentials
        return ProviderTestResult(response.status_code < 500, answer)
    return ProviderTestResult(response.status_code < 400, answer, sent=response.status_code < 400)


def _sms_auth(config: dict[str, Any]) -> httpx.Auth:
    """Basic auth with the account's SID and token when it has them (Twilio's scheme), else none."""
    if config.get("account_sid"):
        return httpx.BasicAuth(config["account_sid"], config.get("auth_token") or "")
    return httpx.Auth()


def _untrusted_certificate(error: BaseException | None) -> bool:
    if error is None:
        return False
    if isinstance(error, ssl.SSLCertVerificationError):
        return True
    return _untrusted_certificate(error.__cause__ or error.__context__)


async def _send_sms(http: httpx.AsyncClient, message: Outgoing) -> Delivery:
    config = message.config
    response = await http.post(
        config["url"],
        data={
            "To": message.to,
            "From": config["from_number"],
            "Body": message.fields.get("text", ""),
            "StatusCallback": message.status_callback,
        },
        auth=_sms_auth(config),
        headers={"Idempotency-Key": message.message_id},
    )
    if response.status_code >= 500:
        raise ApplicationError(f"SMS provider answered {response.status_code}")
    if response.status_code >= 400:
        return Delivery(False, f"SMS provider refused ({response.status_code}): {response.text[:300]}")
    return Delivery(True)


async def _call_webhook(http: httpx.AsyncClient, message: Outgoing, key: str) -> Delivery:
    fields = message.fields
    headers = {**message.config.get("headers", {}), **(fields.get("headers") or {}), "Idempotency-Key": key}
    response = await _request(http, fields.get("method", "POST").upper(), fields["url"], headers, fields.get("body"))
    status = response.status or 0
    if status >= 500:
        raise ApplicationError(f"webhook {fields['url']} answered {status}")
    if status >= 400:
        return Delivery(False, f"webhook answered {status}", response.as_data())
    return Delivery(True, response=response.as_data())


async def _request(http: httpx.AsyncClient, method: str, url: str, headers: dict[str, str], body: Any) -> ActionResult:
    content: dict[str, Any] = {}
    if isinstance(body, dict | list):
        content["json"] = body
    elif body is not None:
        content["content"] = str(body)
    response = await http.request(method, url, headers=headers, **content)
    try:
        parsed: Any = response.json()
    except ValueError:
        parsed = response.text[:10_000]
    return ActionResult(status=response.status_code, headers=dict(response.headers), body=parsed)
