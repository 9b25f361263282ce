import uuid

from sqlalchemy import ColumnElement, ScalarSelect, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, raiseload

from domain.identifiers import DEFAULT_SOURCE
from domain.users.models import User, UserIdentifier


async def list_users(
    session: AsyncSession,
    project_id: uuid.UUID,
    limit: int,
    after: uuid.UUID | None,
    *,
    email: str | None = None,
    phone: str | None = None,
) -> list[User]:
    """A page of the project's users by id; `email` (any case) or `phone`: only those with it (indexed)."""
    query = select(User).where(User.project_id == project_id, *having(email=email, phone=phone))
    if after is not None:
        query = query.where(User.id > after)
    return list((await session.scalars(query.order_by(User.id).limit(limit))).all())


def having(
    *, email: str | None = None, phone: str | None = None, external_id: str | None = None
) -> list[ColumnElement[bool]]:
    """Conditions on `User` for a search: the email (any case), the phone, the default-source external id."""
    found: list[ColumnElement[bool]] = []
    if email is not None:
        found.append(func.lower(User.email) == email.strip().lower())
    if phone is not None:
        found.append(User.phone == phone.strip())
    if external_id is not None:
        known = select(UserIdentifier.user_id).where(
            UserIdentifier.project_id == User.project_id,
            UserIdentifier.source == DEFAULT_SOURCE,
            UserIdentifier.external_id == external_id,
        )
        found.append(User.id.in_(known.scalar_subquery()))
    return found


# Rules and templates read the profile; loading the identifiers is one more statement (templates query
# the one they show), so user loads for them leave it out and any access raises.
WITHOUT_IDENTIFIERS = raiseload(User.identifiers)


async def load_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """The user's profile without the identifiers collection (`WITHOUT_IDENTIFIERS`)."""
    return await session.get(User, user_id, options=[WITHOUT_IDENTIFIERS])


def user_label(user_id: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID]) -> ScalarSelect[str]:
    """How people name the user: their first default external id, else their first other identifier as
    `source:id` (None for a user without identifiers)."""
    is_default = UserIdentifier.source == DEFAULT_SOURCE
    return (
        select(
            case(
                (is_default, UserIdentifier.external_id), else_=UserIdentifier.source + ":" + UserIdentifier.external_id
            )
        )
        .where(UserIdentifier.user_id == user_id)
        .order_by(~is_default, UserIdentifier.created_at)
        .limit(1)
        .scalar_subquery()
    )
