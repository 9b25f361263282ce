"""Membership changes only through recomputation; each real change emits `list.user.added/removed`."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
    Text,
    Uuid,
    any_,
    bindparam,
    cast,
    delete,
    false,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Executable
from sqlalchemy.sql.dml import ReturningInsert

from domain.base import advisory_lock
from domain.events.models import Event
from domain.events.payloads import ProcessEventInput
from domain.events.recording import extract_schema
from domain.events.service import emit_system_event
from domain.listening import heard_in_project
from domain.lists.facts import load_facts
from domain.lists.models import List, ListMember
from domain.lists.payloads import LIST_EVENTS, ListRecomputePage
from domain.rules.engine import RuleSql, matches
from domain.rules.model import parse_rule
from domain.unit_of_work import UnitOfWork
from domain.users.models import User
from domain.users.queries import WITHOUT_IDENTIFIERS


@dataclass
class Changes:
    added: int = 0
    removed: int = 0


async def add_members(work: UnitOfWork, lst: List, user_ids: list[uuid.UUID]) -> int:
    """Add those not yet members; each addition emits `list.user.added`."""
    if not user_ids:
        return 0
    statement = (
        insert(ListMember)
        .values([{"list_id": lst.id, "user_id": user_id} for user_id in user_ids])
        .on_conflict_do_nothing()
        .returning(ListMember.user_id)
    )
    return await _changed(work, lst, statement, "list.user.added")


async def remove_members(work: UnitOfWork, lst: List, user_ids: list[uuid.UUID]) -> int:
    """Remove those who are members; each removal emits `list.user.removed`."""
    if not user_ids:
        return 0
    statement = (
        delete(ListMember)
        .where(ListMember.list_id == lst.id, ListMember.user_id.in_(user_ids))
        .returning(ListMember.user_id)
    )
    return await _changed(work, lst, statement, "list.user.removed")


async def _changed(work: UnitOfWork, lst: List, statement: Executable, event_name: str) -> int:
    """Run a membership change that returns the affected user ids, and record one event per user."""
    session = work.session
    user_ids = list(await session.scalars(statement))
    for user_id in user_ids:
        emit_system_event(work, lst.project_id, event_name, {"list_id": str(lst.id)}, user_id=user_id)
    return len(user_ids)


async def recompute_for_user(
    work: UnitOfWork, project_id: uuid.UUID, user_id: uuid.UUID, trigger: str, now: datetime
) -> Changes:
    """Re-evaluate, for one user, every dynamic list whose rule the `trigger` event can affect.

    Serialised per user (advisory lock), so concurrent events for one user cannot interleave stale facts."""
    session = work.session
    # The lock is taken with the lists, and only when there are some (the select list is evaluated for
    # the rows found): one statement instead of two on every event's path.
    found_lists = await session.execute(
        _AFFECTED_LISTS, {"project_id": project_id, "trigger": trigger, "lock": f"lists:{user_id}"}
    )
    lists = [lst for lst, _ in found_lists]
    changes = Changes()
    if not lists:
        return changes
    found = (await session.execute(_USER_WITH_MEMBERSHIPS, {"user_id": user_id})).first()
    if found is None:
        return changes
    user, list_ids = found
    rules = {lst.id: parse_rule(lst.rule) for lst in lists}
    memberships = frozenset(str(list_id) for list_id in list_ids or ())
    facts = await load_facts(session, user, list(rules.values()), now, memberships=memberships)
    for lst in lists:
        should = matches(rules[lst.id], facts, now)
        if should and str(lst.id) not in facts.lists:
            changes.added += await add_members(work, lst, [user_id])
        elif not should and str(lst.id) in facts.lists:
            changes.removed += await remove_members(work, lst, [user_id])
    return changes


# The dynamic lists an event can affect, each row taking the user's lock (see `recompute_for_user`); built
# once, as the statements below: building a statement and its cache key is Python work on every event.
_AFFECTED_LISTS = select(List, advisory_lock(bindparam("lock", type_=Text))).where(
    List.project_id == bindparam("project_id", type_=Uuid),
    List.kind == "dynamic",
    List.rule.is_not(None),
    bindparam("trigger", type_=Text) == any_(List.event_names),
)

# The user (without identifiers) and the lists they are a member of, in one statement after the lock.
_USER_WITH_MEMBERSHIPS = (
    select(User, select(func.array_agg(ListMember.list_id)).where(ListMember.user_id == User.id).scalar_subquery())
    .where(User.id == bindparam("user_id", type_=Uuid))
    .options(WITHOUT_IDENTIFIERS)
)


@dataclass
class PageResult:
    scanned: int
    added: int
    removed: int
    # Membership events something listens for, left undispatched for the list's dispatcher.
    pending: int = 0
    # The page's greatest user id (an id walk continues after it).
    last_user_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Blocks:
    """The project's users stored in these heap blocks of the users table."""

    blocks: range


@dataclass(frozen=True)
class UsersAfter:
    """The project's next `limit` users in id order after `after`."""

    after: uuid.UUID | None
    limit: int


@dataclass(frozen=True)
class WalkPlan:
    walk: str  # "blocks" | "ids"
    end_block: int
    total_users: int


async def plan_walk(session: AsyncSession, project_id: uuid.UUID) -> WalkPlan:
    """Walk the table's blocks when the project holds a third of its users or more: reading every block
    once, in order, beats fetching each user's block. A smaller project is walked by id, through the
    project index, so it does not pay for the other projects' rows."""
    end_block = await users_table_blocks(session)
    project_users = await session.scalar(select(func.count()).where(User.project_id == project_id)) or 0
    # The planner's estimate of the table's rows (-1 before the first ANALYZE).
    table_users = await session.scalar(
        text("SELECT reltuples::bigint FROM pg_class WHERE oid = CAST(:table AS regclass)").bindparams(
            table=User.__tablename__
        )
    )
    walk = "ids" if project_users * 3 < (table_users or 0) else "blocks"
    return WalkPlan(walk, end_block, project_users)


def even_page_blocks(end_block: int, lanes: int, most: int) -> int:
    """Blocks per page for walking `end_block` blocks in rounds of `lanes` pages of at most `most`
    blocks, the pages as even as the rounds allow (26,956 blocks, 2 lanes, at most 8,000: 4 pages of
    6,739 — not 8,000, 8,000, 8,000 and 2,956, where one lane would work alone at the end)."""
    rounds = max(1, -(-end_block // (lanes * most)))
    return max(1, -(-end_block // (rounds * lanes)))


async def users_table_blocks(session: AsyncSession) -> int:
    """How many heap blocks the users table has now: a block walk covers them in ranges."""
    size = func.pg_relation_size(literal(User.__tablename__)) / cast(func.current_setting("block_size"), Integer)
    return int(await session.scalar(select(size)) or 0)


async def recompute_page(session: AsyncSession, lst: List, users: Blocks | UsersAfter, now: datetime) -> PageResult:
    """Bring membership in line with the rule for one page of the project's users, in one statement: who
    matches and is no member joins, who is a member and no longer matches leaves, each with its
    `list.user.added`/`removed` event; an unchanged page costs a read. A block page reads a range of the
    table's physical blocks once, in order (a user changed meanwhile was recomputed in real time).
    Events something listens for are left to the list's dispatcher (docs/lists.md)."""
    assert lst.rule is not None
    matches_rule = func.coalesce(RuleSql(now).condition(parse_rule(lst.rule)), false())
    # OFFSET 0 keeps the page a subquery of its own: each user's rule is evaluated once, not once for
    # each of the two places below that read it.
    page = _page_of_users(lst.project_id, users, matches_rule).offset(0).subquery("page")
    member = aliased(ListMember, name="member")
    is_member = member.user_id.is_not(None)
    # One pass over the page: each user's rule against their membership (the list's members hashed, or
    # looked up for a small page), keeping only who joins and who leaves.
    diff = (
        select(
            func.count().label("scanned"),
            func.array_agg(page.c.id).filter(page.c.matches & ~is_member).label("joining"),
            func.array_agg(page.c.id).filter(~page.c.matches & is_member).label("leaving"),
            _last_id(page.c.id, users).label("last_id"),
        )
        .select_from(page.outerjoin(member, (member.list_id == lst.id) & (member.user_id == page.c.id)))
        .cte("diff")
    )
    added = (
        insert(ListMember)
        .from_select(
            ["list_id", "user_id", "added_at"],
            select(literal(lst.id, Uuid), func.unnest(diff.c.joining), literal(now, DateTime(timezone=True))),
        )
        .on_conflict_do_nothing()
        .returning(ListMember.user_id)
        .cte("added")
    )
    leaving = cast(select(diff.c.leaving).scalar_subquery(), ARRAY(Uuid))  # an array, looked up by key
    removed = (
        delete(ListMember)
        .where(ListMember.list_id == lst.id, ListMember.user_id == any_(leaving))
        .returning(ListMember.user_id)
        .cte("removed")
    )
    heard = await heard_in_project(session, lst.project_id, LIST_EVENTS)
    # The list's members are hashed in memory, not spilled to disk in batches (~10 MB per 200,000).
    await session.execute(_HASH_MEMORY)
    counts = [select(diff.c.scanned).scalar_subquery(), select(diff.c.last_id).scalar_subquery()]
    for changed, name in ((added, "list.user.added"), (removed, "list.user.removed")):
        emitted = membership_events(changed.c.user_id, lst, name, dispatched=name not in heard, at=now).cte(
            f"emitted_{name.rsplit('.', 1)[1]}"
        )
        counts.append(select(func.count()).select_from(emitted).scalar_subquery())
    scanned, last_id, added_count, removed_count = (await session.execute(select(*counts))).one()
    pending = 0
    for name, count in (("list.user.added", added_count), ("list.user.removed", removed_count)):
        if name in heard:
            pending += count
        elif count:
            await extract_schema(session, _membership_event(lst, name), set())
    return PageResult(scanned, added_count, removed_count, pending, uuid.UUID(last_id) if last_id else None)


# For this transaction only (SET LOCAL): a page hashes its list's members once.
_HASH_MEMORY = text("SET LOCAL work_mem = '64MB'")


def membership_events(
    user_ids: ColumnElement[uuid.UUID], lst: List, name: str, *, dispatched: bool, at: datetime
) -> ReturningInsert[tuple[uuid.UUID]]:
    """One `name` event (data `list_id`) for each of `user_ids`, written as a set."""
    return (
        insert(Event)
        .from_select(
            ["id", "project_id", "user_id", "name", "data", "source", "dispatched", "created_at"],
            select(
                func.gen_random_uuid(),
                literal(lst.project_id, Uuid),
                user_ids,
                literal(name),
                literal({"list_id": str(lst.id)}, JSONB),
                literal("system"),
                literal(dispatched),
                literal(at, DateTime(timezone=True)),
            ),
        )
        .returning(Event.id)
    )


def _last_id(user_id: ColumnElement[uuid.UUID], users: Blocks | UsersAfter) -> ColumnElement[str | None]:
    """The page's greatest user id, which only an id walk needs to continue. UUIDs order bytewise, as
    their lowercase hex text does (PostgreSQL 16 has no max over uuid)."""
    return func.max(cast(user_id, Text)) if isinstance(users, UsersAfter) else literal(None, Text)


def _page_of_users(
    project_id: uuid.UUID, users: Blocks | UsersAfter, matches_rule: ColumnElement[bool]
) -> Select[uuid.UUID, bool]:
    page = select(User.id, matches_rule.label("matches")).where(User.project_id == project_id)
    match users:
        case Blocks(blocks):
            stored_in = text("users.ctid >= CAST(:low AS tid) AND users.ctid < CAST(:high AS tid)")
            return page.where(stored_in.bindparams(low=f"({blocks.start},0)", high=f"({blocks.stop},0)"))
        case UsersAfter(after, limit):
            if after is not None:
                page = page.where(User.id > after)
            return page.order_by(User.id).limit(limit)


def record_progress(lst: List, progress: ListRecomputePage, as_of: datetime) -> None:
    """What the API and the list show of a recompute: counts so far, share of the table walked, state."""
    if progress.walk == "blocks":
        walked = progress.next_block * 100 // progress.end_block if progress.end_block else 100
    else:
        walked = min(99, progress.scanned * 100 // progress.total_users) if progress.total_users else 0
    lst.recompute_progress = {
        "scanned": progress.scanned,
        "added": progress.added,
        "removed": progress.removed,
        "percent": 100 if progress.done else walked,
    }
    lst.recompute_state = "idle" if progress.done else "running"
    if progress.done:
        lst.recomputed_at = as_of


def _membership_event(lst: List, name: str) -> ProcessEventInput:
    """What the pipeline would have seen for one membership event (for the schema of unheard ones)."""
    return ProcessEventInput(
        project_id=str(lst.project_id), event_id="", entity="user", name=name, data={"list_id": str(lst.id)}
    )
