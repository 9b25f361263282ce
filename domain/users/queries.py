import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from domain.users.models import User


async def list_users(session: AsyncSession, project_id: uuid.UUID, limit: int, after: uuid.UUID | None) -> list[User]:
    query = select(User).where(User.project_id == project_id)
    if after is not None:
        query = query.where(User.id > after)
    return list((await session.scalars(query.order_by(User.id).limit(limit))).all())


# Rules and templates read the profile; loading the identifiers is one more statement (templates query
# the one they show), so user loads for them leave it out and any access raises.
WITHOUT_IDENTIFIERS = raiseload(User.identifiers)


async def load_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """The user's profile without the identifiers collection (`WITHOUT_IDENTIFIERS`)."""
    return await session.get(User, user_id, options=[WITHOUT_IDENTIFIERS])
