"""Personal API tokens: `tg_…`, for scripts and infrastructure as code; they act as their account."""

import secrets
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from domain.accounts.models import Account, AccountToken
from domain.accounts.sessions import token_hash
from domain.base import utcnow

TOKEN_PREFIX = "tg_"


async def create_token(session: AsyncSession, account_id: uuid.UUID, name: str) -> tuple[AccountToken, str]:
    """The token's row, and its plain value (shown once)."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = AccountToken(account_id=account_id, name=name, prefix=plain[:10], token_hash=token_hash(plain),
                       created_at=utcnow())  # fmt: skip
    session.add(row)
    await session.flush()
    return row, plain


async def list_tokens(session: AsyncSession, account_id: uuid.UUID) -> list[AccountToken]:
    query = select(AccountToken).where(AccountToken.account_id == account_id, AccountToken.revoked_at.is_(None))
    return list((await session.scalars(query.order_by(AccountToken.created_at))).all())


async def revoke_token(session: AsyncSession, account_id: uuid.UUID, token_id: uuid.UUID) -> None:
    result = await session.execute(
        update(AccountToken)
        .where(AccountToken.id == token_id, AccountToken.account_id == account_id, AccountToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound(f"token {token_id} not found")


async def token_account(session: AsyncSession, plain: str) -> tuple[AccountToken, Account] | None:
    row = (
        await session.execute(
            select(AccountToken, Account)
            .join(Account, Account.id == AccountToken.account_id)
            .where(AccountToken.token_hash == token_hash(plain), AccountToken.revoked_at.is_(None))
        )
    ).first()
    return None if row is None else (row[0], row[1])
