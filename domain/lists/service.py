"""Lists: create, edit (rule edits are drafts), preview, publish, delete, members."""

import uuid
from datetime import UTC, datetime
from typing import Any

from psycopg.errors import QueryCanceled
from sqlalchemy import Select, func, literal, select, tablesample, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import fetch_compiled_off_loop, limit_statement_time
from core.errors import Invalid, NotFound
from domain.base import table_of, utcnow
from domain.lists.membership import remove_members
from domain.lists.models import List, ListMember
from domain.lists.schemas import ListCreate, ListOut, ListUpdate, Preview, Recompute
from domain.rules.analysis import refresh_interval, summarize, time_window, trigger_events
from domain.rules.engine import RuleSql
from domain.rules.model import parse_rule
from domain.rules.references import check_references, rule_references
from domain.unit_of_work import UnitOfWork
from domain.users.models import User
from domain.users.queries import having
from domain.users.schemas import UserOut


async def create_list(session: AsyncSession, project_id: uuid.UUID, payload: ListCreate) -> List:
    kind = payload.kind or ("dynamic" if payload.rule is not None else "static")
    if kind == "dynamic" and payload.rule is None:
        raise Invalid("rule: a dynamic list needs a rule")
    if kind == "static" and payload.rule is not None:
        raise Invalid("rule: a static list has no rule (its members are imported or added)")
    lst = List(
        id=uuid.uuid4(),
        project_id=project_id,
        name=payload.name,
        kind=kind,
        event_names=[],
        version=1,
        recompute_state="idle",
        recompute_progress={},
    )
    if payload.rule is not None:
        await check_references(session, project_id, rule_references(parse_rule(payload.rule), "rule"))
        _publish_rule(lst, payload.rule)
    session.add(lst)
    await session.flush()
    return lst


async def get_list(session: AsyncSession, project_id: uuid.UUID, list_id: uuid.UUID) -> List:
    lst = await session.get(List, list_id)
    if lst is None or lst.project_id != project_id:
        raise NotFound(f"list {list_id} not found")
    return lst


async def update_list(session: AsyncSession, project_id: uuid.UUID, list_id: uuid.UUID, payload: ListUpdate) -> List:
    lst = await get_list(session, project_id, list_id)
    if payload.name is not None:
        lst.name = payload.name
    if payload.rule is not None:
        if lst.kind != "dynamic":
            raise Invalid("rule: a static list has no rule")
        await check_references(session, project_id, rule_references(parse_rule(payload.rule), "rule"))
        lst.draft_rule = payload.rule
    lst.updated_at = utcnow()
    await session.flush()
    return lst


async def publish_draft(session: AsyncSession, project_id: uuid.UUID, list_id: uuid.UUID) -> List:
    lst = await get_list(session, project_id, list_id)
    if lst.draft_rule is None:
        raise Invalid("draft_rule: nothing to publish; PATCH a rule first")
    await check_references(session, project_id, rule_references(parse_rule(lst.draft_rule), "draft_rule"))
    _publish_rule(lst, lst.draft_rule)
    lst.draft_rule = None
    lst.version += 1
    lst.updated_at = utcnow()
    await session.flush()
    return lst


def _publish_rule(lst: List, raw: dict[str, Any]) -> None:
    rule = parse_rule(raw)
    window = time_window(rule)
    lst.rule = raw
    lst.rule_summary = summarize(rule)[:2000]
    lst.event_names = trigger_events(rule)
    lst.refresh_seconds = int(refresh_interval(window).total_seconds()) if window is not None else None
    lst.recompute_state = "running"
    lst.recompute_progress = {"scanned": 0, "added": 0, "removed": 0}


async def delete_list(session: AsyncSession, project_id: uuid.UUID, list_id: uuid.UUID) -> None:
    await session.delete(await get_list(session, project_id, list_id))
    await session.flush()


# A preview answers someone editing a rule: it may not hold a backend longer than this.
PREVIEW_TIME_LIMIT_SECONDS = 10
# Projects with more users than this get an estimate from a sample of about `SAMPLED_USERS` of the users
# table (the same sample while the rule is edited), so the count follows typing at any size.
EXACT_UP_TO = 100_000
SAMPLED_USERS = 20_000
SEED = 7


async def preview(session: AsyncSession, project_id: uuid.UUID, raw: dict[str, Any], sample_size: int = 10) -> Preview:
    """How many users the rule matches now (estimated in a big project), and a sample of them. The
    statement is built off the event loop and bounded in time; a rule too costly is refused naming it."""
    rule = parse_rule(raw)
    now = datetime.now(UTC)
    percent = await _sample_percent(session, project_id)

    def counted_sample() -> Select[Any]:
        matching = select(User.id).where(User.project_id == project_id, RuleSql(now).condition(rule))
        if percent is not None:
            sampled = tablesample(table_of(User), func.system(percent), name="sampled", seed=literal(SEED))
            matching = matching.where(User.id.in_(select(sampled.c.id).where(sampled.c.project_id == project_id)))
        found = matching.cte("matching")
        sample = select(found.c.id).order_by(found.c.id).limit(sample_size).scalar_subquery()
        return select(func.count(), func.array(sample)).select_from(found)

    await limit_statement_time(session, PREVIEW_TIME_LIMIT_SECONDS)
    try:
        [(count, sample_ids)] = await fetch_compiled_off_loop(session, counted_sample)
    except QueryCanceled:
        raise Invalid(f"rule: took longer than {PREVIEW_TIME_LIMIT_SECONDS} s to evaluate; narrow it") from None
    sample = await session.scalars(select(User).where(User.id.in_(sample_ids)).order_by(User.id))
    estimated = percent is not None
    return Preview(
        count=round(count * 100 / percent) if percent is not None else count,
        estimated=estimated,
        sample=[UserOut.model_validate(u) for u in sample],
        summary=summarize(rule),
    )


async def _sample_percent(session: AsyncSession, project_id: uuid.UUID) -> float | None:
    """None: count exactly (the project has at most `EXACT_UP_TO` users, counted only that far); else the
    share of the users table's blocks to sample."""
    capped = select(User.id).where(User.project_id == project_id).limit(EXACT_UP_TO + 1).subquery()
    if (await session.scalar(select(func.count()).select_from(capped)) or 0) <= EXACT_UP_TO:
        return None
    rows = await session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass")) or 1
    return float(min(100.0, max(0.01, 100 * SAMPLED_USERS / max(float(rows), 1.0))))


async def member_counts(session: AsyncSession, list_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(ListMember.list_id, func.count().label("count"))
        .where(ListMember.list_id.in_(list_ids))
        .group_by(ListMember.list_id)
    )
    return dict(rows.all())


async def list_out(session: AsyncSession, lst: List, count: int | None = None) -> ListOut:
    if count is None:
        count = (await member_counts(session, [lst.id])).get(lst.id, 0)
    return ListOut(
        id=lst.id,
        project_id=lst.project_id,
        name=lst.name,
        kind=lst.kind,
        rule=lst.rule,
        draft_rule=lst.draft_rule,
        rule_summary=lst.rule_summary,
        version=lst.version,
        member_count=count or 0,
        recompute=Recompute(
            state=lst.recompute_state, progress=lst.recompute_progress, recomputed_at=lst.recomputed_at
        ),
        created_at=lst.created_at,
        updated_at=lst.updated_at,
    )


async def project_lists(session: AsyncSession, project_id: uuid.UUID) -> list[List]:
    return list(await session.scalars(select(List).where(List.project_id == project_id).order_by(List.created_at)))


async def members(
    session: AsyncSession,
    lst: List,
    limit: int,
    after: uuid.UUID | None,
    *,
    email: str | None = None,
    external_id: str | None = None,
) -> list[User]:
    """A page of the list's members by id; with `email` or `external_id`, only the member it names."""
    query = (
        select(User)
        .join(ListMember, ListMember.user_id == User.id)
        .where(ListMember.list_id == lst.id, User.project_id == lst.project_id,
               *having(email=email, external_id=external_id))
    )  # fmt: skip
    if after is not None:
        query = query.where(User.id > after)
    return list(await session.scalars(query.order_by(User.id).limit(limit)))


def require_static(lst: List) -> None:
    if lst.kind != "static":
        raise Invalid("list: a dynamic list's membership follows its rule; add or remove users on static lists")


async def remove_member(work: UnitOfWork, lst: List, user_id: uuid.UUID) -> None:
    require_static(lst)
    if not await remove_members(work, lst, [user_id]):
        raise NotFound(f"user {user_id} is not in list {lst.id}")
