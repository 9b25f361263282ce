"""Counts over time for a chart: by hour for the last days, or by day; every bucket present, zeros included."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from domain.trends.models import HourlyCount
from domain.trends.schemas import PointOut, SeriesOut

ENGAGEMENT = ("sent", "delivered", "opened", "clicked", "bounced", "complained", "failed")
# Hour buckets for at most this many days (168 points); longer spans go by day.
MOST_HOURLY_DAYS = 7


@dataclass
class Point:
    at: datetime
    counts: dict[str, int | None] = field(default_factory=dict)


async def series(
    session: AsyncSession, subject_id: uuid.UUID, metrics: tuple[str, ...], days: int, now: datetime
) -> tuple[str, list[Point]]:
    """The bucket ("hour" or "day") and a point per bucket over the last `days`. Counters add up over a
    day; a gauge (`members`) shows its last hour's value, carried over hours not measured (None before
    the first)."""
    bucket = "hour" if days <= MOST_HOURLY_DAYS else "day"
    step = timedelta(hours=1) if bucket == "hour" else timedelta(days=1)
    end = _floor(now.astimezone(UTC), bucket)
    start = end - step * (days * 24 if bucket == "hour" else days - 1)
    at = func.date_trunc(bucket, HourlyCount.hour, "UTC")
    gauge = metrics == ("members",)
    latest = func.array_agg(aggregate_order_by(HourlyCount.count, HourlyCount.hour.desc()))[1]
    value = latest if gauge else func.sum(HourlyCount.count)
    rows = await session.execute(
        select(at, HourlyCount.metric, value)
        .where(HourlyCount.subject_id == subject_id, HourlyCount.metric.in_(metrics), HourlyCount.hour >= start)
        .group_by(at, HourlyCount.metric)
    )
    found = {(when.astimezone(UTC), metric): int(count or 0) for when, metric, count in rows}
    points: list[Point] = []
    when = start
    while when <= end:
        if gauge:
            last = points[-1].counts["members"] if points else None
            points.append(Point(when, {"members": found.get((when, "members"), last)}))
        else:
            points.append(Point(when, {m: found.get((when, m), 0) for m in metrics}))
        when += step
    return bucket, points


def _floor(moment: datetime, bucket: str) -> datetime:
    hour = moment.replace(minute=0, second=0, microsecond=0)
    return hour if bucket == "hour" else hour.replace(hour=0)


def series_out(bucket: str, points: list[Point]) -> SeriesOut:
    return SeriesOut(bucket=bucket, points=[PointOut(at=p.at, counts=p.counts) for p in points])
