"""Rule JSON → typed nodes. A malformed rule is rejected naming the offending node path (`rule.all[1].op`)."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.errors import Invalid
from domain.rules.durations import parse_duration, parse_instant
from domain.rules.limits import check_rule_limits

OPERATORS = frozenset(
    "= != > >= < <= in not_in contains not_contains starts_with ends_with any none empty exists not_exists "
    "before after same_day".split()
)
UNARY = frozenset({"empty", "exists", "not_exists"})
LIST_VALUED = frozenset({"in", "not_in", "any", "none"})
ORDERED = frozenset({">", ">=", "<", "<="})
DATE_OPS = frozenset({"before", "after", "same_day"})
COUNT_OPS = frozenset({"=", "!=", ">", ">=", "<", "<="})
USER_FIELDS = ("email", "phone", "timezone", "locale", "created_at")
PATH_KEY = re.compile(r"^[^.\s]+$")


@dataclass(frozen=True)
class Property:
    """`scope` is user | organization | member | event; `field` a column name, or None for `data.<path>`."""

    scope: str
    field: str | None
    path: tuple[str, ...]
    op: str
    value: Any = None


@dataclass(frozen=True)
class EventRule:
    entity: str  # "user" | "organization"
    name: str
    where: "Rule | None"
    count_op: str
    count: int
    within: timedelta | None
    # In journey gates, `"within": "since_entered"`: counted from the run's entry.
    since_entered: bool = False


@dataclass(frozen=True)
class VisitedStep:
    """In journey gates: how often this run (`scope` run) or any of the user's runs of the journey
    (`scope` journey) reached a step."""

    step_id: str
    count_op: str
    count: int
    scope: str


@dataclass(frozen=True)
class InList:
    list_id: str


@dataclass(frozen=True)
class All:
    rules: tuple["Rule", ...]


@dataclass(frozen=True)
class Any_:
    rules: tuple["Rule", ...]


@dataclass(frozen=True)
class Not:
    rule: "Rule"


Rule = Property | EventRule | InList | VisitedStep | All | Any_ | Not
# Rule kinds, and which of them only journey gates may use (`extra_scopes` holds "journey").
KINDS = ("all", "any", "not", "property", "event", "organization_event", "in_list", "visited_step")


def parse_rule(raw: Any, path: str = "rule", *, extra_scopes: frozenset[str] = frozenset()) -> Rule:
    """`extra_scopes` widens where properties may point: `journey` in gates, `event` in entrance conditions.
    The rule's size is checked first (`check_rule_limits`), so parsing and compiling it stay bounded."""
    check_rule_limits(raw, path)
    return _parse(raw, path, in_event=False, extra_scopes=extra_scopes)


def _parse(raw: Any, path: str, *, in_event: bool, extra_scopes: frozenset[str]) -> Rule:
    if not isinstance(raw, dict):
        raise Invalid(f"{path}: a rule must be an object")
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1:
        raise Invalid(f"{path}: a rule needs exactly one of {', '.join(KINDS)}")
    kind = kinds[0]
    if kind in ("all", "any"):
        items = raw[kind]
        if not isinstance(items, list) or not items:
            raise Invalid(f"{path}.{kind}: must be a non-empty list of rules")
        rules = tuple(
            _parse(r, f"{path}.{kind}[{i}]", in_event=in_event, extra_scopes=extra_scopes) for i, r in enumerate(items)
        )
        return All(rules) if kind == "all" else Any_(rules)
    if kind == "not":
        return Not(_parse(raw["not"], f"{path}.not", in_event=in_event, extra_scopes=extra_scopes))
    if kind == "in_list":
        if in_event:
            raise Invalid(f"{path}.in_list: not allowed inside an event's where")
        if not isinstance(raw["in_list"], str) or not raw["in_list"]:
            raise Invalid(f"{path}.in_list: must be a list id")
        return InList(raw["in_list"])
    if kind == "visited_step":
        if in_event or "journey" not in extra_scopes:
            raise Invalid(f"{path}.visited_step: only in a journey's gates")
        return _parse_visited(raw, path)
    if kind in ("event", "organization_event"):
        if in_event:
            raise Invalid(f"{path}.{kind}: event rules cannot nest")
        return _parse_event(raw, kind, path, in_gate="journey" in extra_scopes)
    return _parse_property(raw, path, in_event=in_event, extra_scopes=extra_scopes)


def _parse_count(raw: dict[str, Any], path: str) -> tuple[str, int]:
    count = raw.get("count", {"op": ">=", "value": 1})
    if (
        not isinstance(count, dict)
        or count.get("op") not in COUNT_OPS
        or not isinstance(count.get("value"), int)
        or isinstance(count.get("value"), bool)
        or count["value"] < 0
    ):
        raise Invalid(f'{path}.count: must be {{"op": one of {" ".join(sorted(COUNT_OPS))}, "value": n >= 0}}')
    return count["op"], count["value"]


def _parse_visited(raw: dict[str, Any], path: str) -> VisitedStep:
    step_id = raw["visited_step"]
    if not isinstance(step_id, str) or not step_id:
        raise Invalid(f"{path}.visited_step: must be a step id")
    scope = raw.get("scope", "run")
    if scope not in ("run", "journey"):
        raise Invalid(f"{path}.scope: must be run or journey")
    count_op, count = _parse_count(raw, path)
    return VisitedStep(step_id, count_op, count, scope)


def _parse_event(raw: dict[str, Any], kind: str, path: str, *, in_gate: bool = False) -> EventRule:
    name = raw[kind]
    if not isinstance(name, str) or not name:
        raise Invalid(f"{path}.{kind}: must be an event name")
    count_op, count = _parse_count(raw, path)
    within = raw.get("within")
    window = None
    since_entered = within == "since_entered"
    if since_entered and not in_gate:
        raise Invalid(f"{path}.within: since_entered is only for a journey's gates")
    if within is not None and not since_entered:
        try:
            window = parse_duration(within) if isinstance(within, str) else None
        except ValueError as error:
            raise Invalid(f"{path}.within: {error}") from None
        if window is None or window <= timedelta(0):
            raise Invalid(f"{path}.within: must be a positive duration like '30 days'")
    where = raw.get("where")
    return EventRule(
        entity="user" if kind == "event" else "organization",
        name=name,
        where=_parse(where, f"{path}.where", in_event=True, extra_scopes=frozenset()) if where is not None else None,
        count_op=count_op,
        count=count,
        within=window,
        since_entered=since_entered,
    )


def _parse_property(raw: dict[str, Any], path: str, *, in_event: bool, extra_scopes: frozenset[str]) -> Property:
    target = raw["property"]
    if not isinstance(target, str):
        raise Invalid(f"{path}.property: must be a path like user.data.plan")
    scope, field, data_path = _split_property(target, path, in_event=in_event, extra_scopes=extra_scopes)
    op = raw.get("op")
    if op not in OPERATORS:
        raise Invalid(f"{path}.op: {op!r} is not one of {' '.join(sorted(OPERATORS))}")
    value = raw.get("value")
    if op in UNARY:
        value = None
    elif "value" not in raw:
        raise Invalid(f"{path}.value: required for op {op!r}")
    elif op in LIST_VALUED and not (isinstance(value, list) and all(_is_scalar(v) for v in value)):
        raise Invalid(f"{path}.value: op {op!r} needs a list of strings, numbers or booleans")
    elif op in ORDERED and (isinstance(value, bool) or not isinstance(value, int | float | str)):
        raise Invalid(f"{path}.value: op {op!r} needs a number or a string")
    elif op in DATE_OPS:
        if not isinstance(value, str):
            raise Invalid(f"{path}.value: op {op!r} needs a date or a relative date like '-30 days'")
        _check_instant(value, f"{path}.value")
    elif op in ("contains", "not_contains", "starts_with", "ends_with") and not _is_scalar(value):
        raise Invalid(f"{path}.value: op {op!r} needs a string, number or boolean")
    elif op in ("starts_with", "ends_with") and not isinstance(value, str):
        raise Invalid(f"{path}.value: op {op!r} needs a string")
    elif op in ("=", "!=") and not (value is None or _is_scalar(value)):
        raise Invalid(f"{path}.value: op {op!r} needs a string, number, boolean or null")
    return Property(scope=scope, field=field, path=data_path, op=op, value=value)


def _split_property(
    target: str, path: str, *, in_event: bool, extra_scopes: frozenset[str]
) -> tuple[str, str | None, tuple[str, ...]]:
    parts = target.split(".")
    scope = parts[0]
    allowed = {"event"} if in_event else {"user", "organization", "member"} | extra_scopes
    if scope not in allowed:
        raise Invalid(f"{path}.property: {target!r} must start with {' or '.join(sorted(allowed))}.")
    if scope == "journey" and len(parts) >= 2 and all(PATH_KEY.match(p) for p in parts[1:]):
        return scope, None, tuple(parts[1:])
    if len(parts) >= 3 and parts[1] == "data" and all(PATH_KEY.match(p) for p in parts[2:]):
        return scope, None, tuple(parts[2:])
    columns = {"user": USER_FIELDS, "organization": ("name", "created_at")}.get(scope, ())
    if len(parts) == 2 and parts[1] in columns:
        return scope, parts[1], ()
    fields = ", ".join(f"{scope}.{c}" for c in columns)
    raise Invalid(f"{path}.property: {target!r} is not {fields + ' or ' if fields else ''}{scope}.data.<path>")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | bool | int | float)


def _check_instant(value: str, path: str) -> None:
    try:
        parse_instant(value, datetime.now(UTC))
    except ValueError as error:
        raise Invalid(f"{path}: {error}") from None
