"""Logging in and out: server-side sessions behind a random cookie token, and the login back-off."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.accounts.models import Account, AccountSession, LoginFailure
from domain.accounts.passwords import verify_password
from domain.base import utcnow

# Ten failed logins for an address within fifteen minutes lock it until the oldest leaves the window.
LOCKOUT_ATTEMPTS = 10
LOCKOUT_WINDOW = timedelta(minutes=15)
# A session's last use is written at most this often (not on every request).
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta


@dataclass
class Login:
    """A login attempt's outcome: an account and its new session token, or why not."""

    account: Account | None = None
    token: str | None = None
    locked_for: int | None = None  # seconds until the address may try again


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normal_email(email: str) -> str:
    return email.strip().lower()


async def find_account(session: AsyncSession, email: str) -> Account | None:
    return await session.scalar(select(Account).where(func.lower(Account.email) == normal_email(email)))


async def log_in(session: AsyncSession, email: str, password: str, policy: SessionPolicy) -> Login:
    """Check the password (an unknown address costs the same Argon2 verification), then open a session.
    Failures are counted per address, known or not, so the lockout tells nothing about who exists."""
    address, now = normal_email(email), utcnow()
    window = select(func.count(), func.min(LoginFailure.at)).where(
        LoginFailure.email == address, LoginFailure.at > now - LOCKOUT_WINDOW
    )
    failures, oldest = (await session.execute(window)).one()
    if failures >= LOCKOUT_ATTEMPTS:
        return Login(locked_for=max(1, int((oldest + LOCKOUT_WINDOW - now).total_seconds()) + 1))
    account = await find_account(session, address)
    if not verify_password(account.password_hash if account else None, password) or account is None:
        outside = LoginFailure.at <= now - LOCKOUT_WINDOW
        await session.execute(delete(LoginFailure).where(LoginFailure.email == address, outside))
        session.add(LoginFailure(email=address, at=now))
        return Login()
    await session.execute(delete(LoginFailure).where(LoginFailure.email == address))
    return Login(account=account, token=await open_session(session, account.id, policy))


async def open_session(session: AsyncSession, account_id: uuid.UUID, policy: SessionPolicy) -> str:
    token, now = secrets.token_urlsafe(32), utcnow()
    session.add(AccountSession(
        account_id=account_id, token_hash=token_hash(token), created_at=now, last_seen_at=now,
        expires_at=now + policy.absolute,
    ))  # fmt: skip
    await session.flush()
    return token


@dataclass(frozen=True)
class OpenSession:
    session_id: uuid.UUID
    account: Account
    last_seen_at: datetime

    @property
    def stale(self) -> bool:
        """Whether its last use should be written now."""
        return utcnow() - self.last_seen_at > _TOUCH_EVERY


async def current_session(session: AsyncSession, token: str, policy: SessionPolicy) -> OpenSession | None:
    """The session of a cookie's token, if it is neither revoked, expired nor idle too long."""
    now = utcnow()
    row = (
        await session.execute(
            select(AccountSession.id, AccountSession.last_seen_at, Account)
            .join(Account, Account.id == AccountSession.account_id)
            .where(
                AccountSession.token_hash == token_hash(token),
                AccountSession.revoked_at.is_(None),
                AccountSession.expires_at > now,
                AccountSession.last_seen_at > now - policy.idle,
            )
        )
    ).first()
    return None if row is None else OpenSession(row[0], row[2], row[1])


async def touch(session: AsyncSession, session_id: uuid.UUID) -> None:
    await session.execute(update(AccountSession).where(AccountSession.id == session_id).values(last_seen_at=utcnow()))


async def revoke_session(session: AsyncSession, session_id: uuid.UUID) -> None:
    await session.execute(
        update(AccountSession)
        .where(AccountSession.id == session_id, AccountSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke_sessions(session: AsyncSession, account_id: uuid.UUID) -> int:
    """End every open session of the account; how many there were."""
    result = await session.execute(
        update(AccountSession)
        .where(AccountSession.account_id == account_id, AccountSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
