"""A journey's step graph: JSON → typed steps, rejected with the offending step named.

Pure and deterministic: the journey workflow parses the frozen version's JSON with this same code.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from core.errors import Invalid
from domain.rules.durations import parse_span
from domain.rules.model import Rule, parse_rule
from domain.schedules.payloads import ANNIVERSARY_EVENT
from domain.schedules.recurrence import ZERO_OFFSET, Offset, parse_signed_offset
from domain.templating import check_json_template, check_template

TRIGGERS = ("event", "scheduled", "schedule", "none")
PERIODS = {"minute": 60, "hour": 3600, "day": 86400}
STEP_TYPES = (
    "entrance delay gate send update action experiment balancer event link exit".split()
)  # fmt: skip


@dataclass(frozen=True)
class Entrance:
    id: str
    trigger: str
    next: str | None
    event: str | None = None
    organization: bool = False  # an organization event enters the organization's members
    condition: Rule | None = None
    member_rule: Rule | None = None
    data_key: str | None = None
    multiple: bool = False
    simultaneous: bool = False
    offset: str | None = None  # `scheduled.<name>` entrances: "-30 minutes", "2 hours"
    list_id: str | None = None  # `schedule` entrances: the list whose members enter
    interval: str | None = None
    start_at: str | None = None
    end_at: str | None = None

    def fire_offset(self) -> Offset:
        """Which fire of its schedule a `scheduled.<name>` entrance enters on: the schedule definition
        carries this offset (publishing adds it), so "7 days before" is a fire of its own. The anniversary
        has only its zero offset; a later entrance there waits (`start_delay`)."""
        if self.offset is None or self.event == ANNIVERSARY_EVENT:
            return ZERO_OFFSET
        return parse_signed_offset(self.offset)

    def start_delay(self) -> timedelta:
        if self.trigger == "scheduled" and self.event == ANNIVERSARY_EVENT and self.offset:
            return parse_signed_offset(self.offset).delta
        return timedelta(0)


@dataclass(frozen=True)
class Delay:
    id: str
    next: str | None
    duration: str | None = None
    until_time: str | None = None
    until_date: str | None = None
    exclusion_days: tuple[int, ...] = ()


@dataclass(frozen=True)
class Gate:
    id: str
    rule: Rule
    yes: str | None
    no: str | None


@dataclass(frozen=True)
class Send:
    id: str
    campaign_id: str
    next: str | None
    data_key: str | None = None


@dataclass(frozen=True)
class Update:
    id: str
    body: Any
    next: str | None


@dataclass(frozen=True)
class Action:
    id: str
    url: str
    next: str | None
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    data_key: str | None = None


@dataclass(frozen=True)
class Variant:
    ratio: float
    next: str | None


@dataclass(frozen=True)
class Experiment:
    id: str
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class Balancer:
    id: str
    paths: tuple[str, ...]
    limit: int | None = None
    period: str = "hour"


@dataclass(frozen=True)
class EmitEvent:
    id: str
    name: str
    next: str | None
    body: Any = None


@dataclass(frozen=True)
class Link:
    id: str
    journey_id: str
    delay: str


@dataclass(frozen=True)
class Exit:
    id: str


Step = Entrance | Delay | Gate | Send | Update | Action | Experiment | Balancer | EmitEvent | Link | Exit


@dataclass(frozen=True)
class ExitOn:
    event: str
    condition: Rule | None = None


@dataclass(frozen=True)
class Definition:
    steps: dict[str, Step]
    exit_on: tuple[ExitOn, ...] = ()

    @property
    def entrances(self) -> list[Entrance]:
        return [step for step in self.steps.values() if isinstance(step, Entrance)]


def parse_definition(raw_steps: Any, raw_exit_on: Any = None) -> Definition:
    if not isinstance(raw_steps, dict) or not raw_steps:
        raise Invalid("steps: must be an object of step id → step")
    steps = {str(step_id): parse_step(str(step_id), body) for step_id, body in raw_steps.items()}
    definition = Definition(steps=steps, exit_on=_parse_exit_on(raw_exit_on))
    _check_graph(definition)
    return definition


def successors(step: Step) -> list[str]:
    match step:
        case Gate(yes=yes, no=no):
            return [s for s in (yes, no) if s]
        case Experiment(variants=variants):
            return [v.next for v in variants if v.next]
        case Balancer(paths=paths):
            return list(paths)
        case Link() | Exit():
            return []
    nxt = getattr(step, "next", None)
    return [nxt] if nxt else []


# ---------------------------------------------------------------- parsing one step


def parse_step(step_id: str, body: Any) -> Step:
    where = f"steps.{step_id}"
    if not isinstance(body, dict):
        raise Invalid(f"{where}: a step must be an object")
    kind = body.get("type")
    if kind not in STEP_TYPES:
        raise Invalid(f"{where}.type: {kind!r} is not one of {', '.join(STEP_TYPES)}")
    f = _Fields(body, where)
    nxt = f.optional_str("next")
    match kind:
        case "entrance":
            return _parse_entrance(step_id, f, nxt)
        case "delay":
            return _parse_delay(step_id, f, nxt)
        case "gate":
            rule = parse_rule(f.required("rule"), f"{where}.rule", extra_scopes=frozenset({"journey"}))
            return Gate(step_id, rule, f.optional_str("yes"), f.optional_str("no"))
        case "send":
            return Send(step_id, f.required_str("campaign_id"), nxt, f.optional_str("data_key"))
        case "update":
            body_template = f.required("body")
            check_json_template(body_template, f"{where}.body")
            return Update(step_id, body_template, nxt)
        case "action":
            return _parse_action(step_id, f, nxt)
        case "experiment":
            return Experiment(step_id, _parse_variants(f))
        case "balancer":
            return _parse_balancer(step_id, f)
        case "event":
            name = f.required_str("name")
            event_body = body.get("body")
            check_json_template(event_body, f"{where}.body")
            return EmitEvent(step_id, name, nxt, event_body)
        case "link":
            delay = f.required_str("delay")
            _check_span(delay, f"{where}.delay")
            return Link(step_id, f.required_str("journey_id"), delay)
    if nxt is not None:
        raise Invalid(f"{where}.next: an exit step ends the run; it has no next step")
    return Exit(step_id)


class _Fields:
    """Typed reads of one step's JSON, each failure naming `steps.<id>.<field>`."""

    def __init__(self, body: dict[str, Any], where: str) -> None:
        self.body = body
        self.where = where

    def required(self, name: str) -> Any:
        if self.body.get(name) is None:
            raise Invalid(f"{self.where}.{name}: required")
        return self.body[name]

    def required_str(self, name: str) -> str:
        value = self.required(name)
        if not isinstance(value, str) or not value:
            raise Invalid(f"{self.where}.{name}: must be a non-empty string")
        return value

    def optional_str(self, name: str) -> str | None:
        value = self.body.get(name)
        if value is not None and (not isinstance(value, str) or not value):
            raise Invalid(f"{self.where}.{name}: must be a non-empty string")
        return value

    def flag(self, name: str) -> bool:
        value = self.body.get(name, False)
        if not isinstance(value, bool):
            raise Invalid(f"{self.where}.{name}: must be true or false")
        return value


def _parse_entrance(step_id: str, f: _Fields, nxt: str | None) -> Entrance:
    trigger = f.body.get("trigger", "event")
    if trigger not in TRIGGERS:
        raise Invalid(f"{f.where}.trigger: {trigger!r} is not one of {', '.join(TRIGGERS)}")
    scopes = frozenset({"event"})
    condition = f.body.get("condition")
    member_rule = f.body.get("member_rule")
    entrance = Entrance(
        id=step_id,
        trigger=trigger,
        next=nxt,
        event=f.optional_str("event"),
        organization=f.flag("organization"),
        condition=parse_rule(condition, f"{f.where}.condition", extra_scopes=scopes) if condition else None,
        member_rule=parse_rule(member_rule, f"{f.where}.member_rule") if member_rule else None,
        data_key=f.optional_str("data_key"),
        multiple=f.flag("multiple"),
        simultaneous=f.flag("simultaneous"),
        offset=f.optional_str("offset"),
        list_id=f.optional_str("list_id"),
        interval=f.optional_str("interval"),
        start_at=f.optional_str("start_at"),
        end_at=f.optional_str("end_at"),
    )
    if trigger == "event" and entrance.event is None:
        raise Invalid(f"{f.where}.event: required for an event entrance")
    if trigger == "scheduled":
        if entrance.event is None or not entrance.event.startswith("scheduled."):
            raise Invalid(f"{f.where}.event: a scheduled entrance names a `scheduled.<name>` event")
        if entrance.offset is not None:
            try:
                offset = parse_signed_offset(entrance.offset)
            except ValueError as error:
                raise Invalid(f"{f.where}.offset: {error}") from None
            if entrance.event == ANNIVERSARY_EVENT and offset.before:
                raise Invalid(f"{f.where}.offset: scheduled.anniversary takes only offsets after it")
    if trigger == "schedule":
        if entrance.list_id is None or entrance.interval is None:
            raise Invalid(f"{f.where}.list_id: a recurring list entrance needs list_id and interval")
        for name in ("start_at", "end_at"):
            value = getattr(entrance, name)
            if value is not None:
                _check(_instant, value, f"{f.where}.{name}", "an ISO 8601 date-time with a timezone")
        if calendar_interval(entrance.interval) is None:
            _check_span(entrance.interval, f"{f.where}.interval")
        else:
            _check_calendar(entrance, f.where)
    if entrance.simultaneous and not entrance.multiple:
        raise Invalid(f"{f.where}.simultaneous: needs multiple: true")
    return entrance


def _parse_delay(step_id: str, f: _Fields, nxt: str | None) -> Delay:
    kinds = [k for k in ("duration", "until_time", "until_date") if f.body.get(k) is not None]
    if len(kinds) != 1:
        raise Invalid(f"{f.where}: a delay needs exactly one of duration, until_time, until_date")
    value = f.required_str(kinds[0])
    where = f"{f.where}.{kinds[0]}"
    if "{" in value:
        check_template(value, where)
    elif kinds[0] == "duration":
        _check_span(value, where)
    elif kinds[0] == "until_time":
        _check(time.fromisoformat, value, where, "a time like '09:00'")
    else:
        _check(date.fromisoformat, value, where, "a date like '2026-12-01'")
    days = f.body.get("exclusion_days", [])
    if (
        not isinstance(days, list)
        or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days)
        or len(set(days)) == 7
    ):
        raise Invalid(f"{f.where}.exclusion_days: weekday numbers 0-6 (Sunday = 0), not all seven")
    return Delay(step_id, nxt, **{kinds[0]: value}, exclusion_days=tuple(sorted(set(days))))


def _parse_action(step_id: str, f: _Fields, nxt: str | None) -> Action:
    url = f.required_str("url")
    check_template(url, f"{f.where}.url")
    method = (f.optional_str("method") or "POST").upper()
    if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        raise Invalid(f"{f.where}.method: {method!r} is not GET, POST, PUT, PATCH or DELETE")
    headers = f.body.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise Invalid(f"{f.where}.headers: must be an object of strings")
    check_json_template(headers, f"{f.where}.headers")
    check_json_template(f.body.get("body"), f"{f.where}.body")
    return Action(step_id, url, nxt, method, dict(headers), f.body.get("body"), f.optional_str("data_key"))


def _parse_variants(f: _Fields) -> tuple[Variant, ...]:
    raw = f.required("variants")
    if not isinstance(raw, list) or not raw:
        raise Invalid(f"{f.where}.variants: must be a non-empty list of {{ratio, next}}")
    variants = []
    for i, item in enumerate(raw):
        ratio = item.get("ratio", 1) if isinstance(item, dict) else None
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or ratio < 0:
            raise Invalid(f"{f.where}.variants[{i}].ratio: must be a number >= 0")
        nxt = item.get("next")
        if nxt is not None and not isinstance(nxt, str):
            raise Invalid(f"{f.where}.variants[{i}].next: must be a step id")
        variants.append(Variant(float(ratio), nxt))
    if sum(v.ratio for v in variants) <= 0:
        raise Invalid(f"{f.where}.variants: the ratios must not all be 0")
    return tuple(variants)


def _parse_balancer(step_id: str, f: _Fields) -> Balancer:
    paths = f.required("paths")
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) and p for p in paths):
        raise Invalid(f"{f.where}.paths: must be a non-empty list of step ids")
    limit = f.body.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise Invalid(f"{f.where}.limit: must be a whole number >= 1")
    period = f.body.get("period", "hour")
    if period not in PERIODS:
        raise Invalid(f"{f.where}.period: {period!r} is not one of {', '.join(PERIODS)}")
    return Balancer(step_id, tuple(paths), limit, period)


def _parse_exit_on(raw: Any) -> tuple[ExitOn, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise Invalid("exit_on: must be a list of {event, condition?}")
    exits = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("event"), str) or not item["event"]:
            raise Invalid(f"exit_on[{i}].event: required")
        condition = item.get("condition")
        rule = (
            parse_rule(condition, f"exit_on[{i}].condition", extra_scopes=frozenset({"event"})) if condition else None
        )
        exits.append(ExitOn(item["event"], rule))
    return tuple(exits)


CALENDAR_INTERVAL = re.compile(r"^\s*(\d+)\s*(month|year)s?\s*$", re.IGNORECASE)


def calendar_interval(text: str) -> tuple[int, str] | None:
    """`"3 months"` → (3, "month"), `"1 year"` → (1, "year"); None for a fixed-length interval."""
    match = CALENDAR_INTERVAL.match(text)
    return (int(match.group(1)), match.group(2).lower()) if match else None


def _check_calendar(entrance: Entrance, where: str) -> None:
    """Months and years are calendar ones, anchored on `start_at`'s day and time (UTC)."""
    amount, unit = calendar_interval(entrance.interval or "") or (0, "")
    if unit == "month" and amount not in (1, 2, 3, 4, 6, 12):
        raise Invalid(f"{where}.interval: months must divide a year: 1, 2, 3, 4, 6 or 12 months")
    if amount < 1:
        raise Invalid(f"{where}.interval: must be at least 1 {unit}")
    if entrance.start_at is None:
        raise Invalid(f"{where}.start_at: a monthly or yearly entrance needs start_at (its day and time)")
    if _instant(entrance.start_at).astimezone(UTC).day > 28:
        raise Invalid(f"{where}.start_at: a monthly or yearly entrance starts on day 1-28 (every month has it)")


def _check_span(value: str, where: str) -> None:
    try:
        parse_span(value)
    except ValueError as error:
        raise Invalid(f"{where}: {error}") from None


def _instant(value: str) -> datetime:
    instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError(value)
    return instant


def _check(parse: Any, value: str, where: str, expected: str) -> None:
    try:
        parse(value)
    except ValueError:
        raise Invalid(f"{where}: {value!r} is not {expected}") from None


# ---------------------------------------------------------------- the graph


def _check_graph(definition: Definition) -> None:
    steps = definition.steps
    if not definition.entrances:
        raise Invalid("steps: a journey needs at least one entrance step")
    for step in steps.values():
        for target in successors(step):
            if target not in steps:
                raise Invalid(f"steps.{step.id}: next step {target!r} does not exist")
            if isinstance(steps[target], Entrance):
                raise Invalid(f"steps.{step.id}: cannot lead back to the entrance {target!r}")
    on_cycle = _cycle_without_delay(steps)
    if on_cycle is not None:
        raise Invalid(f"steps.{on_cycle}: is on a cycle without a delay step")


def _cycle_without_delay(steps: dict[str, Step]) -> str | None:
    """A step on a cycle that passes no delay (such a cycle would spin forever), or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(steps, WHITE)

    def visit(step_id: str) -> str | None:
        colour[step_id] = GREY
        step = steps[step_id]
        for target in [] if isinstance(step, Delay) else successors(step):
            if colour[target] == GREY:
                return target
            if colour[target] == WHITE and (found := visit(target)) is not None:
                return found
        colour[step_id] = BLACK
        return None

    for step_id in steps:
        if colour[step_id] == WHITE and (found := visit(step_id)) is not None:
            return found
    return None
