"""List recomputation at scale, against a running stack (`tempogram dev` by default).

    python -m bench.lists [--users 1000000] [--events 5000000]

Generates users with realistic data and events (in SQL), then prints (a) the full recompute time of a
property rule and of an event rule — the real `list/<id>/recompute` workflow, started by the API —,
(b) the same predicate as one `SELECT count(*)` in the same run (the floor) with the ratio, the same
first build's writes as one raw statement (the write floor) with the ratio, and an unchanged re-run,
and (c) real-time latency: an event posted through the API → the user is a member of the event-rule list.
"""

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import Uuid, func, literal, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from temporalio.client import Client

from bench.ingest import create_project, dev_database_url, spread
from domain.lists.membership import membership_events
from domain.lists.models import List, ListMember
from domain.lists.payloads import recompute_workflow_id
from domain.rules.engine import RuleSql
from domain.rules.model import parse_rule
from domain.users.models import User
from lifecycle.lists import start_list_recompute

PROPERTY_RULE = {
    "all": [
        {"property": "user.data.plan", "op": "=", "value": "premium"},
        {"property": "user.data.lifetime_value", "op": ">=", "value": 500},
    ]
}
EVENT_RULE = {
    "event": "order.completed",
    "count": {"op": ">=", "value": 2},
    "within": "30 days",
    "where": {"property": "event.data.total", "op": ">=", "value": 100},
}
PLANS, COUNTRIES = ["free", "starter", "premium", "enterprise"], ["US", "FR", "DE", "BR", "JP", "IN"]


def load(dsn: str, project_id: str, users: int, events: int) -> None:
    """Generate the users and their events inside PostgreSQL (random plans, values, countries, event
    names and times over 90 days)."""
    started = time.perf_counter()
    parameters = {"p": project_id, "users": users, "events": events, "plans": PLANS, "countries": COUNTRIES}
    with psycopg.connect(dsn) as connection:
        connection.execute("SELECT setseed(0.7)")
        connection.execute(
            "INSERT INTO users (id, project_id, email, data, has_push_device, version, created_at, updated_at)"
            " SELECT gen_random_uuid(), %(p)s, 'user' || i || '@example.com',"
            "  jsonb_build_object('plan', (%(plans)s::text[])[1 + floor(random() * 4)::int],"
            "   'lifetime_value', floor(random() * 2001)::int,"
            "   'country', (%(countries)s::text[])[1 + floor(random() * 6)::int], 'first_name', 'user' || i),"
            "  false, 1, at, at"
            " FROM (SELECT i, now() - random() * interval '700 days' AS at FROM generate_series(1, %(users)s) i) g",
            parameters,
        )
        connection.execute(
            "CREATE TEMP TABLE bench_users AS SELECT row_number() OVER () AS n, id FROM users WHERE project_id = %(p)s",
            parameters,
        )
        connection.execute("CREATE INDEX ON bench_users (n)")
        # order.completed a quarter of the time, page.viewed half, cta.clicked a quarter.
        connection.execute(
            "INSERT INTO events (id, project_id, user_id, name, data, source, dispatched, created_at, recorded_at)"
            " SELECT gen_random_uuid(), %(p)s, u.id, g.name,"
            "  CASE WHEN g.name = 'order.completed'"
            "   THEN jsonb_build_object('total', 5 + floor(random() * 296)::int, 'currency', 'USD')"
            '   ELSE \'{"path": "/"}\'::jsonb END,'
            "  'client', true, g.at, g.at"
            " FROM (SELECT 1 + floor(random() * %(users)s)::int AS n,"
            "   (ARRAY['order.completed', 'page.viewed', 'page.viewed', 'cta.clicked'])[1 + floor(random() * 4)::int]"
            "    AS name, now() - random() * interval '90 days' AS at"
            "  FROM generate_series(1, %(events)s)) g JOIN bench_users u USING (n)",
            parameters,
        )
        connection.execute("ANALYZE users")
        connection.execute("ANALYZE events")
    print(f"loaded {users} users and {events} events in {time.perf_counter() - started:.0f}s")


async def floor_seconds(engine: AsyncEngine, project_id: str, rule: dict) -> tuple[float, int]:
    condition = RuleSql(datetime.now(UTC)).condition(parse_rule(rule))
    query = select(func.count()).select_from(User).where(User.project_id == uuid.UUID(project_id), condition)
    async with engine.connect() as connection:
        await connection.execute(query)  # warm the cache, as the recompute will have
        started = time.perf_counter()
        count = await connection.scalar(query)
    return time.perf_counter() - started, count or 0


async def write_floor_seconds(engine: AsyncEngine, project_id: str, rule: dict) -> float:
    """A first build's writes as one raw statement: the matching users' memberships and their
    `list.user.added` events, into a scratch list, rolled back."""
    scratch = List(id=uuid.uuid4(), project_id=uuid.UUID(project_id))
    now = datetime.now(UTC)
    condition = RuleSql(now).condition(parse_rule(rule))
    added = (
        insert(ListMember)
        .from_select(
            ["list_id", "user_id", "added_at"],
            select(literal(scratch.id, Uuid), User.id, func.now()).where(
                User.project_id == scratch.project_id, condition
            ),
        )
        .returning(ListMember.user_id)
        .cte("added")
    )
    emitted = membership_events(added.c.user_id, scratch, "list.user.added", dispatched=True, at=now).cte("emitted")
    async with engine.connect() as connection:
        await connection.execute(
            insert(List).values(
                id=scratch.id,
                project_id=scratch.project_id,
                name="write floor",
                kind="dynamic",
                event_names=[],
                version=1,
            )
        )
        started = time.perf_counter()
        await connection.execute(select(func.count()).select_from(emitted))
        elapsed = time.perf_counter() - started
        await connection.rollback()
    return elapsed


async def rerun_seconds(client: Client, project: dict, list_id: str) -> float:
    """The same recompute again: nothing changes, so this is the walk without the writes."""
    handle = client.get_workflow_handle(recompute_workflow_id(list_id))
    task_queue = (await handle.describe()).task_queue
    started = time.perf_counter()
    await start_list_recompute(client, task_queue, project["id"], list_id, 1)
    await handle.result()
    return time.perf_counter() - started


async def recompute_seconds(api: httpx.AsyncClient, client: Client, project: dict, rule: dict) -> tuple[float, dict]:
    started = time.perf_counter()
    response = await api.post(
        f"/api/admin/projects/{project['id']}/lists",
        json={"name": "bench", "rule": rule},
        headers={"Authorization": f"Bearer {project['secret_key']}"},
    )
    response.raise_for_status()
    result = await client.get_workflow_handle(f"list/{response.json()['id']}/recompute").result()
    return time.perf_counter() - started, {**result, "list_id": response.json()["id"]}


async def realtime(
    api: httpx.AsyncClient, engine: AsyncEngine, project: dict, list_id: str, samples: int
) -> list[float]:
    """Users one qualifying order short of the list each get one more: post → member."""
    async with engine.connect() as connection:
        candidates = list(
            await connection.scalars(
                text(
                    "SELECT u.id FROM users u WHERE u.project_id = :p AND NOT EXISTS "
                    "(SELECT 1 FROM list_members m WHERE m.list_id = :l AND m.user_id = u.id) AND "
                    "(SELECT count(*) FROM events e WHERE e.user_id = u.id AND e.name = 'order.completed' "
                    " AND e.created_at > now() - interval '29 days' AND (e.data->>'total')::numeric >= 100) = 1"
                    " LIMIT :n"
                ),
                {"p": project["id"], "l": list_id, "n": samples},
            )
        )
        external = {}
        for user_id in candidates:  # give each an identifier the client API can name
            external[user_id] = f"bench-{user_id}"
            await connection.execute(
                text(
                    "INSERT INTO user_identifiers"
                    " (id, project_id, user_id, source, external_id, created_at, updated_at)"
                    " VALUES (gen_random_uuid(), :p, :u, 'default', :x, now(), now())"
                ),
                {"p": project["id"], "u": user_id, "x": external[user_id]},
            )
        await connection.commit()
    latencies = []
    for user_id, external_id in external.items():
        posted = datetime.now(UTC)
        await api.post(
            "/api/client/users/events",
            headers={"Authorization": f"Bearer {project['public_key']}"},
            json=[{"name": "order.completed", "identifier": [{"external_id": external_id}], "data": {"total": 150}}],
        )
        while True:
            async with engine.connect() as connection:
                added = await connection.scalar(
                    text("SELECT added_at FROM list_members WHERE list_id = :l AND user_id = :u"),
                    {"l": list_id, "u": user_id},
                )
            if added is not None:
                latencies.append((added - posted).total_seconds())
                break
            # The latency is read from the membership's own timestamp, so polling slowly loses no
            # precision and leaves the machine to the path being measured.
            await asyncio.sleep(0.025)
        await asyncio.sleep(0.1)
    return latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--temporal", default="127.0.0.1:7233")
    parser.add_argument("--data-dir", type=Path, default=Path(".tempogram"))
    parser.add_argument("--database-url")
    parser.add_argument("--admin-key", default=os.environ.get("TEMPOGRAM_ADMIN_KEY"))
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--realtime-samples", type=int, default=300)
    args = parser.parse_args()
    if not args.admin_key:
        raise SystemExit("--admin-key or TEMPOGRAM_ADMIN_KEY is required")
    url = args.database_url or dev_database_url(args.data_dir.resolve())
    engine = create_async_engine(url, connect_args={"options": "-c timezone=UTC"})
    client = await Client.connect(args.temporal)
    async with httpx.AsyncClient(base_url=args.api, timeout=3600) as api:
        project = await create_project(api, args.admin_key)
        load(url.replace("postgresql+psycopg://", "postgresql://"), project["id"], args.users, args.events)
        for label, rule in (("property rule", PROPERTY_RULE), ("event rule", EVENT_RULE)):
            floor, count = await floor_seconds(engine, project["id"], rule)
            write_floor = await write_floor_seconds(engine, project["id"], rule)
            seconds, result = await recompute_seconds(api, client, project, rule)
            # Right after the build (PostgreSQL still settling its new rows), then once more.
            reruns = [await rerun_seconds(client, project, result["list_id"]) for _ in range(2)]
            print(
                f"{label}: {count} of {args.users} users match\n"
                f"  raw SELECT count(*) {floor:.2f}s; full recompute workflow {seconds:.2f}s "
                f"({result['added']} added); ratio {seconds / floor:.1f}x\n"
                f"  raw INSERT of the same memberships and events {write_floor:.2f}s; "
                f"ratio {seconds / write_floor:.1f}x\n"
                f"  re-run (nothing changes) {reruns[0]:.2f}s, again {reruns[1]:.2f}s; "
                f"ratio to the count {reruns[0] / floor:.1f}x, {reruns[1] / floor:.1f}x"
            )
        latencies = await realtime(api, engine, project, result["list_id"], args.realtime_samples)
        print(f"real time: event posted → member of the event-rule list, {len(latencies)} users: {spread(latencies)}")
        # The project and its data go.
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM projects WHERE id = :p"), {"p": project["id"]})
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
