"""The instance's team accounts, managed by instance admins (the admin key, or an instance admin)."""

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import EmailStr, Field
from sqlalchemy import select

from api.access import InstanceAdminDep
from api.deps import SessionDep, SettingsDep, TemporalDep, WorkDep
from api.routes.auth import AccountOut
from domain.accounts.links import email_provider, link_url, reset_link
from domain.accounts.models import Account
from domain.accounts.service import create_account, get_account
from domain.accounts.sessions import revoke_sessions
from domain.wire import ManagementModel, OutModel
from lifecycle.accounts import email_link

router = APIRouter(prefix="/api/admin/accounts", tags=["accounts: instance"])


class AccountIn(ManagementModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1000, description="at least 10 characters")
    name: str = Field(default="", max_length=200)
    instance_admin: bool = False


class ResetOut(OutModel):
    reset_url: str
    expires_at: datetime
    emailed: bool


@router.post("", status_code=201)
async def create(body: AccountIn, work: WorkDep, _: InstanceAdminDep) -> AccountOut:
    """A team account. Instance admins create projects and invite people; others join projects."""
    account = await create_account(work.session, str(body.email), body.password, body.name, body.instance_admin)
    await work.commit()
    return AccountOut.model_validate(account)


@router.get("")
async def index(session: SessionDep, _: InstanceAdminDep) -> list[AccountOut]:
    """Every team account of this instance."""
    accounts = await session.scalars(select(Account).order_by(Account.created_at).limit(10_000))
    return [AccountOut.model_validate(a) for a in accounts]


@router.post("/{account_id}/password-reset", status_code=201)
async def password_reset(
    account_id: uuid.UUID, work: WorkDep, who: InstanceAdminDep, temporal: TemporalDep, settings: SettingsDep
) -> ResetOut:
    """A password-reset link for the account (valid an hour, once): returned here, and emailed through
    an email provider of one of its projects if there is one."""
    link = await reset_link(work.session, await get_account(work.session, account_id), who.actor.label)
    provider = await email_provider(work.session, link)
    await work.commit()
    if provider is not None:
        await email_link(temporal, settings.temporal_task_queue, link.id, provider)
    url = link_url(settings.public_url, settings.link_secret, link)
    return ResetOut(reset_url=url, expires_at=link.expires_at, emailed=provider is not None)


@router.delete("/{account_id}/sessions")
async def end_sessions(account_id: uuid.UUID, work: WorkDep, _: InstanceAdminDep) -> dict[str, int]:
    """Log the account out everywhere."""
    await get_account(work.session, account_id)
    revoked = await revoke_sessions(work.session, account_id)
    await work.commit()
    return {"revoked": revoked}
