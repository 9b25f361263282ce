"""What the chart routes share: how far back they look, and the answer's shape."""

import uuid
from typing import Annotated

from fastapi import Query
from sqlalchemy.ext.asyncio import AsyncSession

from domain.base import utcnow
from domain.trends.schemas import SeriesOut
from domain.trends.series import series, series_out

Days = Annotated[int, Query(ge=1, le=90, description="how many days back: up to 7 by the hour, longer by the day")]


async def chart(session: AsyncSession, subject_id: uuid.UUID, metrics: tuple[str, ...], days: int) -> SeriesOut:
    return series_out(*await series(session, subject_id, metrics, days, utcnow()))
