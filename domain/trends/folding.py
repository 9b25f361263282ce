"""The charts' counts, folded in by the system clock each minute: the messaging events recorded since
the last fold, by campaign and journey, metric and hour; and each list's size once an hour.

A fold counts only events whose transactions have ended: an event's `recorded_at` is its transaction's
start, so everything recorded before the oldest transaction still open is final (a session left open
longer than `LONGEST_TRANSACTION` is not waited for). A fold and its mark commit together: a retried
fold counts nothing twice.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Uuid, case, exists, func, literal, select, text, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.events.models import MESSAGING_EVENTS, Event
from domain.lists.models import List, ListMember
from domain.trends.models import FoldMark, HourlyCount

# Each messaging event, and the metric it counts in.
METRICS = {
    "email.sent": "sent", "sms.sent": "sent", "webhook.executed": "sent",
    "email.delivered": "delivered", "sms.delivered": "delivered",
    "email.opened": "opened", "email.clicked": "clicked",
    "email.bounced": "bounced", "email.complained": "complained", "sms.failed": "failed",
}  # fmt: skip
assert set(METRICS) == set(MESSAGING_EVENTS)
MESSAGING = "messaging"
# One fold covers at most this much time: a first fold over a long history catches up a stretch a minute.
LONGEST_FOLD = timedelta(hours=6)
LONGEST_TRANSACTION = timedelta(minutes=10)

_FINAL_BEFORE = text(
    "SELECT least(now() - interval '5 seconds',"
    " greatest(coalesce(min(xact_start), now()), now() - make_interval(secs => :longest)))"
    " FROM pg_stat_activity"
    " WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND datname = current_database()"
)


async def fold_messaging(session: AsyncSession) -> bool:
    """Add the messaging events recorded since the last fold to the hourly counts; True once it has
    folded all that is final (False: a long history left more for the next fold)."""
    final = await session.scalar(_FINAL_BEFORE, {"longest": LONGEST_TRANSACTION.total_seconds()})
    mark = await session.get(FoldMark, MESSAGING, with_for_update=True)
    if mark is None:
        first = await session.scalar(select(func.min(Event.recorded_at)).where(_messaging()))
        mark = FoldMark(name=MESSAGING, until=first or final)
        session.add(mark)
    since = mark.until
    until = min(final, since + LONGEST_FOLD)
    if until <= since:
        return True
    window = (Event.recorded_at >= since, Event.recorded_at < until)
    await session.execute(
        insert(HourlyCount)
        .from_select(
            ["subject_id", "metric", "hour", "project_id", "count"],
            union_all(_counted("campaign_id", *window), _counted("journey_id", *window)),
        )
        .on_conflict_do_update(
            index_elements=["subject_id", "metric", "hour"],
            set_={"count": HourlyCount.count + insert(HourlyCount).excluded.count},
        )
    )
    mark.until = until
    return bool(until >= final)


def _messaging() -> Any:
    """As `ix_events_messaging_recorded` reads them."""
    return Event.name.in_(MESSAGING_EVENTS) & (Event.source == "system")


def _counted(subject: str, *window: Any) -> Any:
    """Per `subject` (the campaign, or the journey, the event's data names), metric and hour."""
    named = Event.data[subject].astext
    subject_id = named.cast(Uuid)
    metric = case(*[(Event.name == name, literal(m)) for name, m in METRICS.items()])
    hour = func.date_trunc("hour", Event.created_at, "UTC")  # UTC hours, whatever the session's time zone
    return (
        select(subject_id, metric, hour, Event.project_id, func.count())
        # An id that is no uuid is passed by, not cast: one bad event may not stop every later fold.
        .where(_messaging(), Event.data.has_key(subject), func.pg_input_is_valid(named, "uuid"), *window)
        .group_by(subject_id, metric, hour, Event.project_id)
    )


async def record_list_sizes(session: AsyncSession, now: datetime) -> int:
    """Each list's member count, once for the hour `now` falls in (later folds that hour add nothing)."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    size = select(func.count()).where(ListMember.list_id == List.id).scalar_subquery()
    counted = exists().where(HourlyCount.subject_id == List.id, HourlyCount.metric == "members",
                             HourlyCount.hour == hour)  # fmt: skip
    result = await session.execute(
        insert(HourlyCount)
        .from_select(
            ["subject_id", "metric", "hour", "project_id", "count"],
            select(List.id, literal("members"), literal(hour), List.project_id, size).where(~counted),
        )
        .on_conflict_do_nothing()
    )
    return int(getattr(result, "rowcount", 0) or 0)
