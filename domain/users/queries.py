import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.users.models import User


async def list_users(session: AsyncSession, project_id: uuid.UUID, limit: int, after: uuid.UUID | None) -> list[User]:
    query = select(User).where(User.project_id == project_id)
    if after is not None:
        query = query.where(User.id > after)
    return list((await session.scalars(query.order_by(User.id).limit(limit))).all())
