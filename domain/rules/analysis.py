"""What a rule reads: which events can change its answer, whether time alone can, and a readable summary."""

import json
from datetime import timedelta

from domain.rules.durations import DURATION
from domain.rules.model import DATE_OPS, All, Any_, EventRule, InList, Not, Property, Rule, VisitedStep

USER_CHANGES = ("user.created", "user.updated")
ORGANIZATION_CHANGES = (
    "organization.created",
    "organization.updated",
    "organization.user.added",
    "organization.user.updated",
    "organization.user.removed",
)
LIST_CHANGES = ("list.user.added", "list.user.removed")


def walk(rule: Rule) -> list[Rule]:
    """Every node of the rule, depth first (an event rule's `where` included)."""
    match rule:
        case All(rules) | Any_(rules):
            return [rule, *[n for r in rules for n in walk(r)]]
        case Not(inner):
            return [rule, *walk(inner)]
        case EventRule(where=where) if where is not None:
            return [rule, *walk(where)]
    return [rule]


def trigger_events(rule: Rule) -> list[str]:
    """Event names after which a user's membership may change (the real-time recompute triggers)."""
    names: set[str] = set()
    for node in walk(rule):
        match node:
            case EventRule(name=name):
                names.add(name)
            case Property(scope="user"):
                names.update(USER_CHANGES)
            case Property(scope="organization" | "member"):
                names.update(ORGANIZATION_CHANGES)
            case InList():
                names.update(LIST_CHANGES)
    return sorted(names)


def time_window(rule: Rule) -> timedelta | None:
    """The smallest time unit through which time alone moves membership (a `within` window or a relative
    date), or None when only events and profile changes can."""
    smallest: timedelta | None = None
    for node in walk(rule):
        unit = None
        if isinstance(node, EventRule) and node.within is not None:
            unit = node.within
        elif isinstance(node, Property) and node.op in DATE_OPS and DURATION.match(str(node.value)):
            unit = timedelta(days=1)
        if unit is not None and (smallest is None or unit < smallest):
            smallest = unit
    return smallest


def refresh_interval(window: timedelta) -> timedelta:
    """How often time-dependent lists are re-evaluated, by the window's smallest unit."""
    if window < timedelta(hours=1):
        return timedelta(minutes=1)
    if window < timedelta(days=1):
        return timedelta(minutes=5)
    if window < timedelta(weeks=1):
        return timedelta(hours=1)
    if window < timedelta(days=30):
        return timedelta(hours=6)
    if window < timedelta(days=365):
        return timedelta(days=1)
    return timedelta(weeks=1)


def summarize(rule: Rule) -> str:
    match rule:
        case All(rules):
            return "(" + " AND ".join(summarize(r) for r in rules) + ")" if len(rules) > 1 else summarize(rules[0])
        case Any_(rules):
            return "(" + " OR ".join(summarize(r) for r in rules) + ")" if len(rules) > 1 else summarize(rules[0])
        case Not(inner):
            return f"NOT {summarize(inner)}"
        case InList(list_id):
            return f"in list {list_id}"
        case VisitedStep():
            where = "this run" if rule.scope == "run" else "any run of this journey"
            return f"visited step {rule.step_id} {rule.count_op} {rule.count} times in {where}"
        case EventRule():
            who = "did" if rule.entity == "user" else "organization did"
            text = f"{who} {rule.name} {rule.count_op} {rule.count} times"
            if rule.within is not None:
                text += f" in the last {_duration(rule.within)}"
            elif rule.since_entered:
                text += " since entering the journey"
            return text + (f" where {summarize(rule.where)}" if rule.where is not None else "")
        case Property():
            target = ".".join([rule.scope, *([rule.field] if rule.field else ["data", *rule.path])])
            if rule.scope == "journey":  # the run's data: `journey.<key>`, no `data` in between
                target = ".".join(["journey", *rule.path])
            return (
                target
                + f" {rule.op}"
                + (
                    ""
                    if rule.value is None and rule.op in ("exists", "not_exists", "empty")
                    else f" {json.dumps(rule.value)}"
                )
            )
    raise TypeError(rule)


def _duration(value: timedelta) -> str:
    if value % timedelta(days=1) == timedelta(0):
        days = value // timedelta(days=1)
        return f"{days} day{'s' if days != 1 else ''}"
    minutes = value // timedelta(minutes=1)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
