"""What a journey names outside itself: its sends' campaigns, its links' journeys, its rules' lists."""

from collections.abc import Iterator

from domain.journeys.definition import Definition, Entrance, Gate, Link, Send
from domain.rules.references import Reference, rule_references


def journey_references(definition: Definition) -> Iterator[Reference]:
    for step_id, step in definition.steps.items():
        where = f"steps.{step_id}"
        match step:
            case Send(campaign_id=campaign_id):
                yield f"{where}.campaign_id", "campaign", campaign_id
            case Link(journey_id=journey_id):
                yield f"{where}.journey_id", "journey", journey_id
            case Gate(rule=rule):
                yield from rule_references(rule, f"{where}.rule")
            case Entrance():
                if step.list_id is not None:
                    yield f"{where}.list_id", "list", step.list_id
                for name, optional in (("condition", step.condition), ("member_rule", step.member_rule)):
                    if optional is not None:
                        yield from rule_references(optional, f"{where}.{name}")
