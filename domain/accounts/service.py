"""Accounts and their memberships in projects."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, NotFound
from domain.accounts.models import Account, ProjectMember
from domain.accounts.passwords import check_strength, hash_password
from domain.accounts.roles import Role
from domain.accounts.sessions import find_account, normal_email
from domain.base import utcnow
from domain.projects.models import Project
from domain.projects.service import CreatedProject, create_project


async def create_account(
    session: AsyncSession, email: str, password: str, name: str = "", instance_admin: bool = False
) -> Account:
    check_strength(password)
    if await find_account(session, email) is not None:
        raise Conflict(f"email: an account with {normal_email(email)} exists")
    account = Account(email=normal_email(email), name=name, password_hash=hash_password(password),
                      instance_admin=instance_admin)  # fmt: skip
    session.add(account)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:  # made by a concurrent request since the check
        raise Conflict(f"email: an account with {normal_email(email)} exists") from None
    return account


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound(f"account {account_id} not found")
    return account


def set_password(account: Account, password: str) -> None:
    check_strength(password)
    account.password_hash = hash_password(password)
    account.updated_at = utcnow()


@dataclass(frozen=True)
class Membership:
    project_id: uuid.UUID
    project_name: str
    role: Role


async def memberships(session: AsyncSession, account_id: uuid.UUID) -> list[Membership]:
    rows = await session.execute(
        select(Project.id, Project.name, ProjectMember.role)
        .join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(ProjectMember.account_id == account_id)
        .order_by(Project.created_at)
    )
    return [Membership(project_id, name, Role(role)) for project_id, name, role in rows]


async def role_in(session: AsyncSession, account_id: uuid.UUID, project_id: uuid.UUID) -> Role | None:
    role = await session.scalar(
        select(ProjectMember.role).where(ProjectMember.account_id == account_id, ProjectMember.project_id == project_id)
    )
    return None if role is None else Role(role)


@dataclass(frozen=True)
class Member:
    account_id: uuid.UUID
    email: str
    name: str
    role: Role
    since: datetime


async def list_members(session: AsyncSession, project_id: uuid.UUID) -> list[Member]:
    rows = await session.execute(
        select(Account.id, Account.email, Account.name, ProjectMember.role, ProjectMember.created_at)
        .join(ProjectMember, ProjectMember.account_id == Account.id)
        .where(ProjectMember.project_id == project_id)
        .order_by(ProjectMember.created_at, Account.id)
    )
    return [Member(a, email, name, Role(role), since) for a, email, name, role, since in rows]


async def add_member(session: AsyncSession, project_id: uuid.UUID, account: Account, role: Role) -> ProjectMember:
    if await role_in(session, account.id, project_id) is not None:
        raise Conflict(f"email: {account.email} is a member of this project already")
    member = ProjectMember(project_id=project_id, account_id=account.id, role=role.value, created_at=utcnow())
    session.add(member)
    await session.flush()
    return member


async def change_role(session: AsyncSession, project_id: uuid.UUID, account_id: uuid.UUID, role: Role) -> None:
    member = await _member(session, project_id, account_id)
    if member.role == Role.OWNER and role is not Role.OWNER:
        await _keep_an_owner(session, project_id)
    member.role = role.value
    await session.flush()


async def remove_member(session: AsyncSession, project_id: uuid.UUID, account_id: uuid.UUID) -> None:
    member = await _member(session, project_id, account_id)
    if member.role == Role.OWNER:
        await _keep_an_owner(session, project_id)
    await session.delete(member)
    await session.flush()


async def _member(session: AsyncSession, project_id: uuid.UUID, account_id: uuid.UUID) -> ProjectMember:
    member = await session.get(ProjectMember, (project_id, account_id), with_for_update=True)
    if member is None:
        raise NotFound(f"account {account_id} is not a member of this project")
    return member


async def _keep_an_owner(session: AsyncSession, project_id: uuid.UUID) -> None:
    owners = await session.scalar(
        select(func.count()).where(ProjectMember.project_id == project_id, ProjectMember.role == Role.OWNER.value)
    )
    if (owners or 0) <= 1:
        raise Conflict("role: a project keeps at least one owner; make someone else owner first")


async def start_project(session: AsyncSession, name: str, creator: Account | None, created_by: str) -> CreatedProject:
    """A new project with its first keys; the account that made it, if any, is its owner."""
    created = await create_project(session, name, created_by)
    if creator is not None:
        await add_member(session, created.project.id, creator, Role.OWNER)
    return created
