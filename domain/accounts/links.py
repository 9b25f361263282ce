"""Invitations and password resets: signed, expiring, single-use links.

A link's URL carries its row's id and an HMAC-SHA256 of (kind, id) under the deployment's link secret: an
altered link is refused, and the row says until when it works and whether it was used. Nothing secret is
stored: the signature is computed again where the email is sent.
"""

import base64
import hashlib
import hmac
import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Gone, NotFound, Unauthenticated
from domain.accounts.models import Account, AccountLink, ProjectMember
from domain.accounts.passwords import check_strength, verify_password
from domain.accounts.roles import Role
from domain.accounts.service import add_member, create_account, role_in, set_password
from domain.accounts.sessions import find_account, normal_email, revoke_sessions
from domain.base import utcnow
from domain.messaging.models import Provider

LIFETIME = {"invite": timedelta(days=7), "reset": timedelta(hours=1)}
PAGE = {"invite": "invite", "reset": "reset-password"}


def _signature(secret: str, link: AccountLink) -> str:
    message = f"account-link\n{link.kind}\n{link.id}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def link_token(secret: str, link: AccountLink) -> str:
    return f"{link.id.hex}.{_signature(secret, link)}"


def link_url(public_url: str, secret: str, link: AccountLink) -> str:
    return f"{public_url.rstrip('/')}/console/{PAGE[link.kind]}/{link_token(secret, link)}"


async def add_or_invite(
    session: AsyncSession, project_id: uuid.UUID, email: str, role: Role, created_by: str
) -> ProjectMember | AccountLink:
    """An account with this address joins at once; a new address gets an invitation."""
    account = await find_account(session, email)
    if account is not None:
        return await add_member(session, project_id, account, role)
    return await _new_link(session, "invite", normal_email(email), None, project_id, role, created_by)


async def reset_link(session: AsyncSession, account: Account, created_by: str) -> AccountLink:
    return await _new_link(session, "reset", account.email, account.id, None, None, created_by)


# Asked for by anyone who knows the address: at most one such link per account this often.
RESET_EVERY = timedelta(minutes=5)
FORGOT_PASSWORD = "the account's own request (forgot password)"


async def forgotten_password(session: AsyncSession, account: Account) -> AccountLink | None:
    """A reset link asked for by address, unless one was asked for within `RESET_EVERY` (None then)."""
    recent = await session.scalar(
        select(AccountLink.id)
        .where(
            AccountLink.account_id == account.id,
            AccountLink.created_by == FORGOT_PASSWORD,
            AccountLink.created_at > utcnow() - RESET_EVERY,
        )
        .limit(1)
    )
    return None if recent is not None else await reset_link(session, account, FORGOT_PASSWORD)


async def _new_link(
    session: AsyncSession, kind: str, email: str, account_id: uuid.UUID | None, project_id: uuid.UUID | None,
    role: Role | None, created_by: str,
) -> AccountLink:  # fmt: skip
    now = utcnow()
    link = AccountLink(
        id=uuid.uuid4(), kind=kind, email=email, account_id=account_id, project_id=project_id,
        role=role.value if role else None, created_by=created_by, created_at=now, expires_at=now + LIFETIME[kind],
    )  # fmt: skip
    session.add(link)
    await session.flush()
    return link


async def open_link(session: AsyncSession, secret: str, token: str, kind: str) -> AccountLink:
    """The link a token names, locked for this transaction: NotFound if it is not one this deployment
    signed (or it was altered), Gone if used or expired."""
    link_hex, _, signature = token.partition(".")
    try:
        link_id = uuid.UUID(hex=link_hex)
    except ValueError:
        raise NotFound("this link is not valid: check that it was copied whole") from None
    link = await session.get(AccountLink, link_id, with_for_update=True)
    if link is None or link.kind != kind or not hmac.compare_digest(signature, _signature(secret, link)):
        raise NotFound("this link is not valid: check that it was copied whole")
    if link.used_at is not None:
        raise Gone("this link was used already; ask for a new one")
    if link.expires_at <= utcnow():
        raise Gone("this link has expired; ask for a new one")
    return link


async def accept_invitation(session: AsyncSession, link: AccountLink, name: str, password: str) -> Account:
    """Join the project: with a new account, or, if the address has one now, with its password."""
    assert link.project_id is not None and link.role is not None
    account = await find_account(session, link.email)
    if account is None:
        account = await create_account(session, link.email, password, name)
    elif not verify_password(account.password_hash, password):
        raise Unauthenticated(f"password: {link.email} has an account; use its password to join")
    if await role_in(session, account.id, link.project_id) is None:
        await add_member(session, link.project_id, account, Role(link.role))
    link.used_at = utcnow()
    return account


async def reset_password(session: AsyncSession, link: AccountLink, password: str) -> Account:
    """Set the new password and end every session the account had."""
    assert link.account_id is not None
    check_strength(password)
    account = await session.get(Account, link.account_id)
    if account is None:
        raise Gone("this link's account no longer exists")
    set_password(account, password)
    await revoke_sessions(session, account.id)
    link.used_at = utcnow()
    return account


async def email_provider(session: AsyncSession, link: AccountLink) -> uuid.UUID | None:
    """The SMTP provider a link's email goes out through: the inviting project's, or for a reset, one of
    a project the account belongs to; None when there is none (the link is only shown)."""
    query = select(Provider.id).where(Provider.kind == "smtp").order_by(Provider.created_at).limit(1)
    if link.project_id is not None:
        return await session.scalar(query.where(Provider.project_id == link.project_id))
    projects = select(ProjectMember.project_id).where(ProjectMember.account_id == link.account_id)
    return await session.scalar(query.where(Provider.project_id.in_(projects)))
