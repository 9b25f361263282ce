"""Why a rule matched one user or not: each condition with its answer and the value it saw.

A gate records this with its visit (the console's "why"), and a journey test shows it before publishing.
Each answer comes from `matches` itself, so an explanation never disagrees with the decision it explains.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.rules.analysis import summarize
from domain.rules.engine import EventFact, UserFacts, column_or_data, count_events, dig, matches, organization_events
from domain.rules.model import All, Any_, EventRule, InList, Not, Property, Rule, VisitedStep

# A value seen longer than this, as JSON, is shown cut: an explanation is stored with every gate visit.
MOST_SHOWN = 200
# Organization-wide conditions show the values of at most this many of the user's organizations.
MOST_ORGANIZATIONS = 10


@dataclass
class Finding:
    """One condition: how it reads, whether it held, what it saw (leaves) or its parts (groups)."""

    condition: str
    passed: bool
    saw: Any = None
    parts: list["Finding"] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"condition": self.condition, "passed": self.passed}
        if self.parts:
            shown["parts"] = [part.as_json() for part in self.parts]
        else:
            shown["saw"] = self.saw
        return shown


def explain(rule: Rule, facts: UserFacts, now: datetime, event: EventFact | None = None) -> Finding:
    """`event`: the event an entrance's condition reads (`event.data.…`)."""
    match rule:
        case All(rules) | Any_(rules):
            parts = [explain(r, facts, now, event) for r in rules]
            every = isinstance(rule, All)
            passed = all(p.passed for p in parts) if every else any(p.passed for p in parts)
            return Finding("all of" if every else "any of", passed, parts=parts)
        case Not(inner):
            part = explain(inner, facts, now, event)
            return Finding("not", not part.passed, parts=[part])
    return Finding(summarize(rule), matches(rule, facts, now, event), _shown(_seen(rule, facts, now, event)))


def _seen(rule: Rule, facts: UserFacts, now: datetime, event: EventFact | None) -> Any:
    """The value a leaf compared: a property's value, an event count, list membership, a visit count."""
    match rule:
        case Property():
            return _property_value(rule, facts, event)
        case EventRule():
            return _event_count(rule, facts, now)
        case InList(list_id):
            return list_id in facts.lists
        case VisitedStep():
            visits = facts.run_visits if rule.scope == "run" else facts.journey_visits
            return visits.get(rule.step_id, 0)
    return None


def _property_value(rule: Property, facts: UserFacts, event: EventFact | None) -> Any:
    if rule.scope == "event":
        return dig(event.data, rule.path) if event is not None else None
    if rule.scope == "journey":
        return dig(facts.journey, rule.path)
    if rule.scope == "user":
        return column_or_data(facts, rule)
    organizations = facts.organizations[:MOST_ORGANIZATIONS]
    if rule.scope == "member":
        return [dig(org.member_data, rule.path) for org in organizations]
    return [column_or_data(org, rule) for org in organizations]


def _event_count(rule: EventRule, facts: UserFacts, now: datetime) -> int | list[int]:
    if rule.entity == "user":
        return count_events(rule, facts.events, facts, now)
    organizations = facts.organizations[:MOST_ORGANIZATIONS]
    return [count_events(rule, organization_events(facts, org), facts, now) for org in organizations]


def _shown(value: Any) -> Any:
    """`value`, or its JSON cut short (`shown_text`) when longer than `MOST_SHOWN`."""
    return value if len(json.dumps(value, default=str)) <= MOST_SHOWN else shown_text(value)


def shown_text(value: Any) -> str:
    """`value` as JSON, cut to `MOST_SHOWN` characters."""
    text = json.dumps(value, default=str)
    return text if len(text) <= MOST_SHOWN else text[: MOST_SHOWN - 1] + "…"
