"""The rule engine: one rule, two faces.

`RuleSql(now).condition(rule)` is a SQL condition over `users` (for recomputing a whole list with the
JSONB indexes); `matches(rule, facts, now)` evaluates the same rule for one user in memory (for the real
time path). Each operator is defined once below with both faces side by side, and a property-based test
holds them to the same answer. Semantics, on both faces:
- every target is a JSON value (columns too); a missing key and JSON null are both "absent";
- a value of another type than the rule's never matches (so `"5" > 3` is false); strings compare by code
  point; dates are strict ISO 8601 strings, naive ones read as UTC;
- each negated operator (`!=`, `not_in`, `not_contains`, `none`, `not_exists`) is exactly NOT its positive.
"""

import json
import operator
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Numeric,
    Text,
    and_,
    any_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP
from sqlalchemy.orm import aliased

from domain.events.models import Event
from domain.json_kind import json_kind
from domain.lists.models import ListMember
from domain.organizations.models import Organization, OrganizationMember
from domain.rules.durations import parse_instant
from domain.rules.model import All, Any_, EventRule, InList, Not, Property, Rule, VisitedStep
from domain.users.models import User

ISO_DATE = (
    r"^\d{4}-\d{2}-\d{2}"
    r"([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?)?$"
)
ISO_DATE_RE = re.compile(ISO_DATE)
TEXT_ARRAY = ARRAY(Text)
JSONB_ARRAY = ARRAY(JSONB)
NEGATIONS = {"!=": "=", "not_in": "in", "not_contains": "contains", "none": "any", "not_exists": "exists"}
ORDER = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "=": operator.eq, "!=": operator.ne}


# ---------------------------------------------------------------- facts for the in-memory face


@dataclass
class EventFact:
    name: str
    data: dict[str, Any]
    created_at: datetime
    organization_id: str | None = None  # set for organization events


@dataclass
class OrganizationFact:
    id: str
    name: str | None
    created_at: datetime
    data: dict[str, Any]
    member_data: dict[str, Any]


@dataclass
class UserFacts:
    email: str | None
    phone: str | None
    timezone: str | None
    locale: str | None
    created_at: datetime
    data: dict[str, Any]
    organizations: list[OrganizationFact] = field(default_factory=list)
    events: list[EventFact] = field(default_factory=list)
    organization_events: list[EventFact] = field(default_factory=list)
    lists: frozenset[str] = frozenset()
    # `journey.<data_key>…` in gates: the run's entrance data and step results.
    journey: dict[str, Any] = field(default_factory=dict)
    # In gates: when the run entered, and visits per step of this run and of all the user's runs of the journey.
    entered_at: datetime | None = None
    run_visits: dict[str, int] = field(default_factory=dict)
    journey_visits: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------- JSON value helpers (Python face)


def _same(a: Any, b: Any) -> bool:
    return json_kind(a) == json_kind(b) and a == b


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not ISO_DATE_RE.match(value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


# ---------------------------------------------------------------- SQL helpers


def _json(value: Any) -> ColumnElement[Any]:
    return cast(literal(json.dumps(value)), JSONB)


def _json_array(values: list[Any]) -> ColumnElement[Any]:
    """Many values as one `jsonb[]` parameter: `x = ANY(…)` plans as one term, however long the list."""
    return cast(literal([json.dumps(v) for v in values], TEXT_ARRAY), JSONB_ARRAY)


def _typeof(x: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.jsonb_typeof(x)


def _text(x: ColumnElement[Any]) -> ColumnElement[str]:
    """The scalar as text (a JSON string without its quotes)."""
    return x.op("#>>", return_type=Text)(literal([], TEXT_ARRAY))


def _guarded(condition: ColumnElement[bool], then: ColumnElement[bool]) -> ColumnElement[bool]:
    """`then`, evaluated only where `condition` holds (CASE fixes the order; AND would not)."""
    return case((condition, then), else_=false())


def _elements_any(x: ColumnElement[Any], values: list[Any]) -> ColumnElement[bool]:
    element = func.jsonb_array_elements(x).table_valued("value").alias("element")
    return _guarded(
        _typeof(x) == "array",
        exists(select(1).select_from(element).where(element.c.value == any_(_json_array(values)))),
    )


# ---------------------------------------------------------------- operators: both faces


@dataclass(frozen=True)
class Operator:
    sql: Callable[[ColumnElement[Any], Any, datetime], ColumnElement[bool]]
    test: Callable[[Any, Any, datetime], bool]


def _ordered(op: str) -> Operator:
    compare = ORDER[op]

    def sql(x: ColumnElement[Any], v: Any, _: datetime) -> ColumnElement[bool]:
        if isinstance(v, str):
            return _guarded(_typeof(x) == "string", compare(_text(x).collate("C"), literal(v)))
        return _guarded(_typeof(x) == "number", compare(cast(x, Numeric), cast(_json(v), Numeric)))

    def test(a: Any, v: Any, _: datetime) -> bool:
        return json_kind(a) == json_kind(v) and compare(a, v)

    return Operator(sql, test)


def _date(compare: Callable[[Any, Any], Any], *, day: bool = False) -> Operator:
    def sql(x: ColumnElement[Any], v: Any, now: datetime) -> ColumnElement[bool]:
        instant = parse_instant(v, now).astimezone(UTC)
        text = _text(x)
        valid = and_(_typeof(x) == "string", text.regexp_match(ISO_DATE), func.pg_input_is_valid(text, "timestamptz"))
        moment = cast(text, TIMESTAMP(timezone=True))
        if day:
            return _guarded(valid, compare(func.date(func.timezone("UTC", moment)), literal(instant.date())))
        return _guarded(valid, compare(moment, literal(instant)))

    def test(a: Any, v: Any, now: datetime) -> bool:
        moment = _instant(a)
        if moment is None:
            return False
        instant = parse_instant(v, now).astimezone(UTC)
        return bool(compare(moment.astimezone(UTC).date(), instant.date()) if day else compare(moment, instant))

    return Operator(sql, test)


OPERATORS: dict[str, Operator] = {
    "=": Operator(
        lambda x, v, _: x.is_(None) if v is None else func.coalesce(x == _json(v), false()),
        lambda a, v, _: a is None if v is None else _same(a, v),
    ),
    "in": Operator(
        lambda x, v, _: func.coalesce(x == any_(_json_array(v)), false()) if v else false(),
        lambda a, v, _: any(_same(a, i) for i in v),
    ),
    "contains": Operator(
        lambda x, v, _: or_(
            _guarded(_typeof(x) == "string", func.strpos(_text(x), v) > 0) if isinstance(v, str) else false(),
            _elements_any(x, [v]),
        ),
        lambda a, v, _: (
            (isinstance(a, str) and isinstance(v, str) and v in a)
            or (isinstance(a, list) and any(_same(e, v) for e in a))
        ),
    ),
    "any": Operator(
        lambda x, v, _: _elements_any(x, v) if v else false(),
        lambda a, v, _: isinstance(a, list) and any(_same(e, i) for e in a for i in v),
    ),
    "starts_with": Operator(
        lambda x, v, _: _guarded(_typeof(x) == "string", func.starts_with(_text(x), v)),
        lambda a, v, _: isinstance(a, str) and a.startswith(v),
    ),
    "ends_with": Operator(
        lambda x, v, _: _guarded(_typeof(x) == "string", func.right(_text(x), func.char_length(v)) == v),
        lambda a, v, _: isinstance(a, str) and a.endswith(v),
    ),
    "empty": Operator(
        lambda x, _v, _: or_(x.is_(None), x == _json(""), x == _json([]), x == _json({})),
        lambda a, _v, _: a is None or (json_kind(a) in ("string", "array", "object") and not a),
    ),
    "exists": Operator(lambda x, _v, _: x.is_not(None), lambda a, _v, _: a is not None),
    **{op: _ordered(op) for op in (">", ">=", "<", "<=")},
    "before": _date(operator.lt),
    "after": _date(operator.gt),
    "same_day": _date(operator.eq, day=True),
}


def _apply(op: str, x: ColumnElement[Any], value: Any, now: datetime) -> ColumnElement[bool]:
    if op in NEGATIONS:
        return not_(OPERATORS[NEGATIONS[op]].sql(x, value, now))
    return OPERATORS[op].sql(x, value, now)


def _test(op: str, actual: Any, value: Any, now: datetime) -> bool:
    if op in NEGATIONS:
        return not OPERATORS[NEGATIONS[op]].test(actual, value, now)
    return OPERATORS[op].test(actual, value, now)


# ---------------------------------------------------------------- SQL face


class RuleSql:
    """Compiles rules to conditions over the `users` table, at a fixed `now`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def condition(self, rule: Rule, event: Any = None) -> ColumnElement[bool]:
        match rule:
            case All(rules):
                return and_(true(), *[self.condition(r, event) for r in rules])
            case Any_(rules):
                return or_(false(), *[self.condition(r, event) for r in rules])
            case Not(inner):
                return not_(self.condition(inner, event))
            case InList(list_id):
                return exists().where(ListMember.list_id == _uuid_or_null(list_id), ListMember.user_id == User.id)
            case EventRule():
                return self._event(rule)
            case Property():
                return self._property(rule, event)
        raise TypeError(rule)

    def _property(self, rule: Property, event: Any) -> ColumnElement[bool]:
        if rule.scope == "event":
            return _apply(rule.op, _target(event.data, rule.path), rule.value, self.now)
        if rule.scope == "user":
            column = User.data if rule.field is None else getattr(User, rule.field)
            return _apply(rule.op, _target(column, rule.path, rule.field), rule.value, self.now)
        member, organization = aliased(OrganizationMember), aliased(Organization)
        if rule.scope == "member":
            x = _target(member.data, rule.path)
        else:
            column = organization.data if rule.field is None else getattr(organization, rule.field)
            x = _target(column, rule.path, rule.field)
        return exists(
            select(1)
            .select_from(member)
            .join(organization, organization.id == member.organization_id)
            .where(member.user_id == User.id, _apply(rule.op, x, rule.value, self.now))
        )

    def _event(self, rule: EventRule) -> ColumnElement[bool]:
        event = aliased(Event)
        conditions = [event.name == rule.name]
        if rule.within is not None:
            conditions.append(event.created_at >= self.now - rule.within)
        if rule.where is not None:
            conditions.append(self.condition(rule.where, event))
        compare = ORDER[rule.count_op]
        if rule.entity == "user":
            count = select(func.count()).select_from(event).where(event.user_id == User.id, *conditions)
            counted: ColumnElement[bool] = compare(count.scalar_subquery(), rule.count)
            return counted
        member = aliased(OrganizationMember)
        count = (
            select(func.count())
            .select_from(event)
            .where(event.organization_id == member.organization_id, event.user_id.is_(None), *conditions)
        )
        return exists(
            select(1).select_from(member).where(member.user_id == User.id, compare(count.scalar_subquery(), rule.count))
        )


def _target(column: Any, path: tuple[str, ...], field: str | None = None) -> ColumnElement[Any]:
    """The rule's target as JSONB, with JSON null folded into SQL NULL ("absent")."""
    if field is not None:
        return func.to_jsonb(column)
    return func.nullif(column.op("#>", return_type=JSONB)(literal(list(path), TEXT_ARRAY)), _json(None))


def _uuid_or_null(value: str) -> ColumnElement[Any]:
    try:
        return literal(uuid.UUID(value))
    except ValueError:
        return null()


# ---------------------------------------------------------------- in-memory face


def matches(rule: Rule, facts: UserFacts, now: datetime, event: EventFact | None = None) -> bool:
    match rule:
        case All(rules):
            return all(matches(r, facts, now, event) for r in rules)
        case Any_(rules):
            return any(matches(r, facts, now, event) for r in rules)
        case Not(inner):
            return not matches(inner, facts, now, event)
        case InList(list_id):
            return list_id in facts.lists
        case VisitedStep():
            visits = facts.run_visits if rule.scope == "run" else facts.journey_visits
            return bool(ORDER[rule.count_op](visits.get(rule.step_id, 0), rule.count))
        case EventRule():
            return _event_matches(rule, facts, now)
        case Property():
            return _property_matches(rule, facts, now, event)
    raise TypeError(rule)


def _property_matches(rule: Property, facts: UserFacts, now: datetime, event: EventFact | None) -> bool:
    if rule.scope == "event":
        return event is not None and _test(rule.op, dig(event.data, rule.path), rule.value, now)
    if rule.scope == "journey":
        return _test(rule.op, dig(facts.journey, rule.path), rule.value, now)
    if rule.scope == "user":
        return _test(rule.op, column_or_data(facts, rule), rule.value, now)
    return any(
        _test(
            rule.op,
            dig(org.member_data, rule.path) if rule.scope == "member" else column_or_data(org, rule),
            rule.value,
            now,
        )
        for org in facts.organizations
    )


def column_or_data(owner: Any, rule: Property) -> Any:
    if rule.field is None:
        return dig(owner.data, rule.path)
    value = getattr(owner, rule.field)
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value


def _event_matches(rule: EventRule, facts: UserFacts, now: datetime) -> bool:
    compare = ORDER[rule.count_op]
    if rule.entity == "user":
        return bool(compare(count_events(rule, facts.events, facts, now), rule.count))
    return any(
        compare(count_events(rule, organization_events(facts, org), facts, now), rule.count)
        for org in facts.organizations
    )


def count_events(rule: EventRule, events: list[EventFact], facts: UserFacts, now: datetime) -> int:
    """How many of `events` the rule counts: its name, its window, its `where`."""
    since = now - rule.within if rule.within is not None else facts.entered_at if rule.since_entered else None
    return sum(
        1
        for e in events
        if e.name == rule.name
        and (since is None or e.created_at >= since)
        and (rule.where is None or matches(rule.where, facts, now, e))
    )


def organization_events(facts: UserFacts, organization: OrganizationFact) -> list[EventFact]:
    return [e for e in facts.organization_events if e.organization_id == organization.id]
