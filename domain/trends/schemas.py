from datetime import datetime

from domain.wire import OutModel


class PointOut(OutModel):
    at: datetime  # the bucket's start (UTC)
    counts: dict[str, int | None]


class SeriesOut(OutModel):
    """Counts over time, one point per bucket (hour or day), zeros included; folded in each minute."""

    bucket: str
    points: list[PointOut]
