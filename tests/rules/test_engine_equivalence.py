"""The rule engine's two faces — SQL over all users and the in-memory predicate — give the same answer."""

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from domain.events.models import Event
from domain.lists.models import List, ListMember
from domain.organizations.models import Organization, OrganizationMember
from domain.projects.models import Project
from domain.rules.engine import EventFact, OrganizationFact, RuleSql, UserFacts, matches
from domain.rules.explain import explain
from domain.rules.model import OPERATORS, parse_rule
from domain.users.models import User

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SCALARS = [
    0,
    1,
    2,
    5,
    -3,
    1.5,
    2.0,
    "a",
    "b",
    "pro",
    "free",
    "",
    "Pro",
    "2026-11-20",
    "2026-11-24T09:30:00Z",
    "2026-10-01T00:00:00+02:00",
    "2026-02-30",
    True,
    False,
]
KEYS = ["plan", "score", "tags", "since"]
EVENT_NAMES = ["order", "view"]


def random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(SCALARS)
    if roll < 0.7:
        return None
    if roll < 0.85:
        return [rng.choice(SCALARS) for _ in range(rng.randint(0, 3))]
    return {"x": random_value(rng, depth + 1)} if depth < 2 else {}


def random_data(rng: random.Random) -> dict[str, Any]:
    return {key: random_value(rng) for key in KEYS if rng.random() < 0.7} | (
        {"nested": {"x": random_value(rng)}} if rng.random() < 0.4 else {}
    )


@pytest.fixture(scope="module")
def population(database_url: str) -> tuple[uuid.UUID, dict[uuid.UUID, UserFacts], list[str]]:
    rng = random.Random(20261124)
    engine = create_engine(database_url, connect_args={"options": "-c timezone=UTC"})
    project_id = uuid.uuid4()
    facts: dict[uuid.UUID, UserFacts] = {}
    with Session(engine) as session:
        session.add(Project(id=project_id, name="rules"))
        session.flush()
        lists = [List(id=uuid.uuid4(), project_id=project_id, name=f"l{i}", kind="static") for i in range(2)]
        orgs = [
            Organization(
                id=uuid.uuid4(),
                project_id=project_id,
                name=rng.choice(["Acme", "Globex", None]),
                data=random_data(rng),
                created_at=NOW - timedelta(days=rng.randint(0, 60)),
            )
            for _ in range(4)
        ]
        session.add_all(lists + orgs)
        session.flush()
        org_events = []
        for org in orgs:
            for _ in range(rng.randint(0, 3)):
                org_events.append(
                    EventFact(
                        rng.choice(EVENT_NAMES),
                        {"total": rng.choice(SCALARS)},
                        NOW - timedelta(days=rng.randint(0, 45)),
                        str(org.id),
                    )
                )
        for e in org_events:
            session.add(
                Event(
                    id=uuid.uuid4(),
                    project_id=project_id,
                    organization_id=uuid.UUID(e.organization_id),
                    name=e.name,
                    data=e.data,
                    source="client",
                    created_at=e.created_at,
                )
            )
        for i in range(40):
            user = User(
                id=uuid.uuid4(),
                project_id=project_id,
                data=random_data(rng),
                email=rng.choice([None, f"u{i}@example.com", f"pro{i}@shop.io"]),
                locale=rng.choice([None, "en", "es-MX"]),
                timezone=None,
                phone=None,
                created_at=NOW - timedelta(days=rng.randint(0, 90), hours=rng.randint(0, 23)),
            )
            session.add(user)
            session.flush()
            memberships = []
            for org in rng.sample(orgs, rng.randint(0, 2)):
                member = OrganizationMember(
                    organization_id=org.id,
                    user_id=user.id,
                    project_id=project_id,
                    data=rng.choice([{}, {"role": "admin"}, {"role": "viewer", "seats": 3}]),
                )
                session.add(member)
                memberships.append(OrganizationFact(str(org.id), org.name, org.created_at, org.data, member.data))
            events = [
                EventFact(
                    rng.choice(EVENT_NAMES),
                    {"total": rng.choice(SCALARS), "currency": rng.choice(["USD", "EUR"])},
                    NOW - timedelta(days=rng.randint(0, 45), minutes=rng.randint(0, 600)),
                )
                for _ in range(rng.randint(0, 5))
            ]
            for e in events:
                session.add(
                    Event(
                        id=uuid.uuid4(),
                        project_id=project_id,
                        user_id=user.id,
                        name=e.name,
                        data=e.data,
                        source="client",
                        created_at=e.created_at,
                    )
                )
            in_lists = [lst for lst in lists if rng.random() < 0.4]
            session.add_all([ListMember(list_id=lst.id, user_id=user.id) for lst in in_lists])
            facts[user.id] = UserFacts(
                email=user.email,
                phone=None,
                timezone=None,
                locale=user.locale,
                created_at=user.created_at,
                data=user.data,
                organizations=memberships,
                events=events,
                organization_events=[e for e in org_events if e.organization_id in {m.id for m in memberships}],
                lists=frozenset(str(lst.id) for lst in in_lists),
            )
        list_ids = [str(lst.id) for lst in lists]
        session.commit()
    engine.dispose()
    return project_id, facts, list_ids


def property_rules(scope_paths: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    scalar = st.sampled_from(SCALARS)
    dates = st.sampled_from(["2026-11-20", "2026-11-24T09:30:00Z", "-30 days", "-2 days", "2026-10-01T00:00:00+02:00"])

    def for_op(op: str) -> st.SearchStrategy[dict[str, Any]]:
        if op in ("empty", "exists", "not_exists"):
            value: st.SearchStrategy[Any] = st.none()
        elif op in ("in", "not_in", "any", "none"):
            value = st.lists(scalar, max_size=3)
        elif op in (">", ">=", "<", "<="):
            value = st.sampled_from([0, 1, 2, 1.5, -3, "a", "b", "pro", "2026-11-20"])
        elif op in ("before", "after", "same_day"):
            value = dates
        elif op in ("starts_with", "ends_with"):
            value = st.sampled_from(["", "p", "pro", "a", "Pro", "2026", ".com", "io"])
        elif op in ("=", "!="):
            value = st.one_of(scalar, st.none())
        else:
            value = scalar
        return st.builds(lambda p, v: {"property": p, "op": op, "value": v}, st.sampled_from(scope_paths), value)

    return st.sampled_from(sorted(OPERATORS)).flatmap(for_op)


USER_PATHS = [f"user.data.{k}" for k in KEYS] + [
    "user.data.nested.x",
    "user.email",
    "user.locale",
    "user.created_at",
    "organization.name",
    "organization.data.plan",
    "member.data.role",
    "member.data.seats",
    "organization.created_at",
]


def rules(list_ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    event_where = property_rules(["event.data.total", "event.data.currency"])
    event_rule = st.builds(
        lambda kind, name, where, op, n, within: {
            kind: name,
            "count": {"op": op, "value": n},
            **({"where": where} if where else {}),
            **({"within": within} if within else {}),
        },
        st.sampled_from(["event", "organization_event"]),
        st.sampled_from(EVENT_NAMES),
        st.one_of(st.none(), event_where),
        st.sampled_from(["=", "!=", ">", ">=", "<", "<="]),
        st.integers(0, 3),
        st.sampled_from([None, "1 day", "7 days", "30 days"]),
    )
    leaf = st.one_of(
        property_rules(USER_PATHS),
        event_rule,
        st.builds(lambda i: {"in_list": i}, st.sampled_from([*list_ids, str(uuid.uuid4())])),
    )
    return st.recursive(
        leaf,
        lambda children: st.one_of(
            st.builds(lambda rs: {"all": rs}, st.lists(children, min_size=1, max_size=3)),
            st.builds(lambda rs: {"any": rs}, st.lists(children, min_size=1, max_size=3)),
            st.builds(lambda r: {"not": r}, children),
        ),
        max_leaves=6,
    )


def test_sql_and_predicate_agree(population, database_url: str):
    project_id, facts, list_ids = population
    engine = create_engine(database_url, connect_args={"options": "-c timezone=UTC"})
    splits: list[bool] = []

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(rules(list_ids))
    def check(raw: dict[str, Any]) -> None:
        rule = parse_rule(raw)
        with engine.connect() as connection:
            by_sql = set(
                connection.scalars(select(User.id).where(User.project_id == project_id, RuleSql(NOW).condition(rule)))
            )
        by_predicate = {user_id for user_id, user in facts.items() if matches(rule, user, NOW)}
        assert by_sql == by_predicate, raw
        # An explanation gives the decision it explains.
        assert {user_id for user_id, user in facts.items() if explain(rule, user, NOW).passed} == by_predicate
        splits.append(0 < len(by_sql) < len(facts))

    try:
        check()
    finally:
        engine.dispose()
    assert sum(splits) > len(splits) / 3, "most generated rules should select some users but not all"
