"""What a rule, a journey or a list names outside itself — campaigns, other journeys, lists — must exist
in the same project. Checked when a draft is saved and when it is published; each refusal names where."""

import uuid
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid
from domain.journeys.models import Journey
from domain.lists.models import List
from domain.messaging.models import Campaign
from domain.rules.analysis import walk
from domain.rules.model import InList, Rule

# (where it is named, what kind of thing, its id)
Reference = tuple[str, str, str]


def rule_references(rule: Rule, where: str) -> Iterator[Reference]:
    for node in walk(rule):
        if isinstance(node, InList):
            yield f"{where}.in_list", "list", node.list_id


MODELS: dict[str, type[Campaign | Journey | List]] = {"campaign": Campaign, "journey": Journey, "list": List}


async def check_references(session: AsyncSession, project_id: uuid.UUID, references: Iterator[Reference]) -> None:
    """`Invalid` naming the first reference that is not an id of this project's kind of thing."""
    wanted = list(references)
    found: set[tuple[str, uuid.UUID]] = set()
    for kind, model in MODELS.items():
        ids = {parsed for _, k, raw in wanted if k == kind and (parsed := _uuid(raw)) is not None}
        if ids:
            rows = await session.scalars(select(model.id).where(model.project_id == project_id, model.id.in_(ids)))
            found.update((kind, row) for row in rows)
    for where, kind, raw in wanted:
        parsed = _uuid(raw)
        if parsed is None or (kind, parsed) not in found:
            raise Invalid(f"{where}: no {kind} {raw!r} in this project")


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None
