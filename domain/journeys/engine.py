"""The pure journey engine: given a step and what happened there, what comes next, and when.

No I/O and no clock of its own: the journey workflow passes `workflow.now()` and the user's timezone,
so every answer is the same on replay.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.journeys.definition import PERIODS, Balancer, Delay, Experiment, Gate, Step, successors
from domain.local_time import wall_clock_instant, zone
from domain.rules.durations import parse_span


def next_step(step: Step, *, passed: bool | None = None, chosen: str | None = None) -> str | None:
    """The step after `step`: a gate's `yes`/`no` by `passed`, an experiment's or balancer's `chosen` path."""
    if isinstance(step, Gate):
        return step.yes if passed else step.no
    if isinstance(step, Experiment | Balancer):
        return chosen
    following = successors(step)
    return following[0] if following else None


def choose_variant(step: Experiment, roll: float) -> str | None:
    """Weighted choice of an experiment's path; `roll` in [0, 1) comes from the workflow's seeded random."""
    total = sum(v.ratio for v in step.variants)
    point = roll * total
    for variant in step.variants:
        if point < variant.ratio:
            return variant.next
        point -= variant.ratio
    return step.variants[-1].next


def resume_at(step: Delay, value: str, now: datetime, timezone: str | None) -> datetime:
    """When a run waiting in `step` continues. `value` is the step's duration/time/date with any Liquid
    already rendered. Wall-clock targets are in the user's timezone and DST-correct: 09:00 is 09:00 local
    on both sides of a clock change; a time inside a spring-forward gap resolves to just after it."""
    tz = zone(timezone)
    local_now = now.astimezone(tz)
    if step.duration is not None:
        target = now + parse_span(value)
    elif step.until_time is not None:
        wall = time.fromisoformat(value)
        target = wall_clock_instant(local_now.date(), wall, tz)
        if target <= now:
            target = wall_clock_instant(local_now.date() + timedelta(days=1), wall, tz)
    else:
        target = wall_clock_instant(date.fromisoformat(value), time(0, 0), tz)
    return _skip_excluded_days(max(target, now), step.exclusion_days, tz)


def _skip_excluded_days(target: datetime, excluded: tuple[int, ...], tz: ZoneInfo) -> datetime:
    """Move `target` to the same local time on the next day whose weekday (Sunday = 0) is allowed."""
    local = target.astimezone(tz)
    day = local.date()
    while (day.isoweekday() % 7) in excluded:
        day += timedelta(days=1)
    if day == local.date():
        return target
    return wall_clock_instant(day, local.time().replace(tzinfo=None), tz)


def balancer_window(step: Balancer, now: datetime) -> tuple[datetime, datetime]:
    """The rate-limit window `now` falls in, and when the next one opens."""
    seconds = PERIODS[step.period]
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)
    return start, start + timedelta(seconds=seconds)
