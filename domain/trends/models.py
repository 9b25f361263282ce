import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.base import Base


class HourlyCount(Base):
    """A count for one hour of one subject, for charts: a campaign's or a journey's messages sent, delivered,
    opened, clicked, bounced …; a list's members at the top of the hour. Read by the hour or summed by day,
    so a chart never counts the events or memberships themselves."""

    __tablename__ = "hourly_counts"

    subject_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # a campaign, journey or list
    metric: Mapped[str] = mapped_column(String(20), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    count: Mapped[int] = mapped_column(BigInteger)


class FoldMark(Base):
    """How far a fold has counted: events recorded before `until` are in `hourly_counts`."""

    __tablename__ = "fold_marks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    until: Mapped[datetime]
