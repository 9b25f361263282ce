"""The console's pages on real data, against a running stack (`tempogram dev` by default).

    python -m bench.console [--users 1000000] [--events 10000000] [--runs 300000] [--repeat 30]

Loads a project the size the console must stay fast at (users with identifiers, their events over 90
days, organizations, a live journey with runs at every step and their visits and emails, a list built by
its real recompute, the charts' counts folded as the system clock folds them), then times every request
each console page makes, `--repeat` times each with a different user, organization or term, and prints
p50 and p95 per request against the 300 ms budget and against a bare request (`/healthz`) timed in the
same run.
"""

import asyncio
import random
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bench.ingest import create_project, dev_database_url, percentile, stack_parser
from domain.trends.folding import fold_messaging

BUDGET_MS = 300.0
PLANS = ["free", "starter", "premium", "enterprise"]
JOURNEY: dict[str, dict[str, Any]] = {
    "entry": {"type": "entrance", "event": "order.completed", "data_key": "order", "next": "plan"},
    "plan": {"type": "gate", "rule": {"property": "user.data.plan", "op": "=", "value": "premium"},
             "yes": "thanks", "no": "done"},
    "thanks": {"type": "send", "campaign_id": "", "next": "wait"},
    "wait": {"type": "delay", "duration": "30 days", "next": "done"},
    "done": {"type": "exit"},
}  # fmt: skip


class Admin:
    """The project's management API, with its secret key."""

    def __init__(self, http: httpx.AsyncClient, project: dict[str, Any]) -> None:
        self.http, self.base = http, f"/api/admin/projects/{project['id']}"
        self.headers = {"Authorization": f"Bearer {project['secret_key']}"}

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        url = path if path.startswith("/api/") or path == "/healthz" else self.base + path
        response = await self.http.request(method, url, json=body, headers=self.headers)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None


async def set_up(admin: Admin, smtp_port: int) -> dict[str, Any]:
    """What the console shows, made through the API: a provider, a campaign, a live journey, a list."""
    provider = await admin.call("POST", "/providers", {
        "name": "mail", "kind": "smtp", "config": {"host": "127.0.0.1", "port": smtp_port, "tls": "none",
                                                    "from": "shop@example.com"}})  # fmt: skip
    campaign = await admin.call("POST", "/campaigns", {
        "name": "Thanks", "channel": "email", "provider_id": provider["id"], "transactional": True,
        "templates": {"en": {"subject": "Thanks, {{ user.data.first_name }}",
                             "text": "Order {{ journey.order.total }}"}},
    })  # fmt: skip
    steps = {**JOURNEY, "thanks": {**JOURNEY["thanks"], "campaign_id": campaign["id"]}}
    journey = await admin.call("POST", "/journeys", {"name": "Order follow-up", "steps": steps})
    await admin.call("POST", f"/journeys/{journey['id']}/publish")
    return {"campaign": campaign, "journey": journey}


def load(dsn: str, project_id: str, made: dict[str, Any], users: int, events: int, runs: int) -> None:
    """Users with identifiers, organizations, events over 90 days, and the journey's runs, visits, emails and
    their events, all generated inside PostgreSQL."""
    started = time.perf_counter()
    p = {"p": project_id, "users": users, "runs": runs, "plans": PLANS, "journey": made["journey"]["id"],
         "campaign": made["campaign"]["id"], "orgs": max(1, users // 100)}  # fmt: skip
    messaging = runs * 2  # each run's email.sent and journey.entered, and opens and clicks of some
    p["client_events"] = max(0, events - messaging - runs // 2)
    steps = [
        (
            "users",
            "INSERT INTO users (id, project_id, email, phone, data, has_push_device, version, created_at, updated_at)"
            " SELECT gen_random_uuid(), %(p)s, 'user' || i || '@example.com', '+1555' || lpad(i::text, 7, '0'),"
            "  jsonb_build_object('plan', (%(plans)s::text[])[1 + floor(random() * 4)::int],"
            "   'lifetime_value', floor(random() * 2001)::int, 'first_name', 'user' || i), false, 1, at, at"
            " FROM (SELECT i, now() - random() * interval '700 days' AS at FROM generate_series(1, %(users)s) i) g",
        ),
        (
            "numbered",
            "CREATE TEMP TABLE bench_users AS SELECT row_number() OVER (ORDER BY email) AS n, id"
            " FROM users WHERE project_id = %(p)s",
        ),
        ("numbered index", "CREATE UNIQUE INDEX ON bench_users (n)"),
        (
            "identifiers",
            "INSERT INTO user_identifiers (id, project_id, user_id, source, external_id, created_at, updated_at)"
            " SELECT gen_random_uuid(), %(p)s, id, 'default', 'user-' || n, now(), now() FROM bench_users",
        ),
        (
            "organizations",
            "INSERT INTO organizations (id, project_id, name, data, version, created_at, updated_at)"
            " SELECT gen_random_uuid(), %(p)s, 'Org ' || i, jsonb_build_object('seats', i %% 50), 1, now(), now()"
            " FROM generate_series(1, %(orgs)s) i",
        ),
        (
            "organization members",
            "INSERT INTO organization_members (organization_id, user_id, project_id, data, created_at, updated_at)"
            ' SELECT o.id, u.id, %(p)s, \'{"role": "buyer"}\', now(), now()'
            " FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM organizations WHERE project_id = %(p)s) o"
            " JOIN bench_users u ON u.n %% %(orgs)s + 1 = o.k WHERE u.n %% 10 = 0",
        ),
        (
            "client events",
            "INSERT INTO events (id, project_id, user_id, name, data, source, dispatched, created_at, recorded_at)"
            " SELECT gen_random_uuid(), %(p)s, u.id, g.name,"
            "  CASE WHEN g.name = 'order.completed'"
            "   THEN jsonb_build_object('total', 5 + floor(random() * 296)::int, 'currency', 'USD')"
            "   ELSE '{\"path\": \"/\"}'::jsonb END, 'client', true, g.at, g.at"
            " FROM (SELECT 1 + floor(random() * %(users)s)::int AS n,"
            "   (ARRAY['order.completed', 'page.viewed', 'page.viewed', 'cta.clicked'])[1 + floor(random() * 4)::int]"
            "    AS name, now() - random() * interval '90 days' AS at"
            "  FROM generate_series(1, %(client_events)s)) g JOIN bench_users u USING (n)",
        ),
        # Runs of a random sample of users: four in ten still wait at the delay, the rest are done.
        (
            "runs",
            "INSERT INTO journey_runs (id, project_id, journey_id, version, user_id, workflow_id, entrance_step,"
            "  entrance_data, status, current_step, exit_events, started, created_at, updated_at, ended_at)"
            " SELECT gen_random_uuid(), %(p)s, %(journey)s::uuid, 1, u.id,"
            "  'journey/' || %(journey)s::text || '/' || u.id,"
            "  'entry', '{}', CASE WHEN k %% 10 < 4 THEN 'active' ELSE 'completed' END,"
            "  CASE WHEN k %% 10 < 4 THEN 'wait' ELSE 'done' END, '{}', true, at, at,"
            "  CASE WHEN k %% 10 < 4 THEN NULL ELSE at + interval '30 days' END"
            " FROM (SELECT n, row_number() OVER () AS k, now() - random() * interval '89 days' AS at"
            "  FROM bench_users ORDER BY random() LIMIT %(runs)s) s JOIN bench_users u USING (n)",
        ),
        (
            "visits",
            "INSERT INTO journey_step_visits (run_id, seq, journey_id, step_id, entered_at, outcome)"
            " SELECT r.id, v.seq, r.journey_id, v.step, r.created_at, jsonb_build_object('next', v.next)"
            " FROM journey_runs r, (VALUES (1, 'plan', 'thanks'), (2, 'thanks', 'wait'), (3, 'wait', 'done'),"
            "  (4, 'done', NULL)) v(seq, step, next)"
            " WHERE r.journey_id = %(journey)s::uuid AND (v.seq < 4 OR r.ended_at IS NOT NULL)",
        ),
        (
            "emails",
            "INSERT INTO message_sends (key, project_id, user_id, campaign_id, journey_id, status, message_id, result,"
            "  attempts, created_at, updated_at)"
            " SELECT r.id || '/thanks/2', %(p)s, r.user_id, %(campaign)s::uuid, %(journey)s::uuid, 'sent',"
            "  md5(r.id::text) || '@example.com', '{}', 1, r.created_at, r.created_at"
            " FROM journey_runs r WHERE r.journey_id = %(journey)s::uuid",
        ),
        (
            "their events",
            "INSERT INTO events (id, project_id, user_id, name, data, source, dispatched, created_at, recorded_at)"
            " SELECT gen_random_uuid(), %(p)s, r.user_id, e.name,"
            "  jsonb_build_object('campaign_id', %(campaign)s::text, 'journey_id', %(journey)s::text, 'run_id', r.id),"
            "  'system', true, r.created_at + e.after, now()"
            " FROM journey_runs r, (VALUES ('journey.entered', interval '0'), ('email.sent', interval '1 second'),"
            "  ('email.opened', interval '2 hours'), ('email.clicked', interval '3 hours')) e(name, after)"
            " WHERE r.journey_id = %(journey)s::uuid AND (e.name IN ('journey.entered', 'email.sent')"
            "  OR (e.name = 'email.opened' AND get_byte(decode(md5(r.id::text), 'hex'), 0) < 77)"
            "  OR (e.name = 'email.clicked' AND get_byte(decode(md5(r.id::text), 'hex'), 0) < 26))",
        ),
    ]
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("SELECT setseed(0.7)")
        for name, statement in steps:
            began = time.perf_counter()
            connection.execute(statement, p)
            print(f"  {name}: {time.perf_counter() - began:.0f}s", flush=True)
        for table in ("users", "user_identifiers", "events", "journey_runs", "journey_step_visits", "message_sends",
                      "organizations", "organization_members"):  # fmt: skip
            connection.execute(f"ANALYZE {table}")
        total = connection.execute("SELECT count(*) FROM events WHERE project_id = %(p)s", p).fetchone()
    took = time.perf_counter() - started
    print(f"loaded {users} users, {total[0] if total else 0} events, {runs} runs in {took:.0f}s")


async def fold(database_url: str) -> None:
    """Fold the messaging events into the charts' counts, as the system clock does each minute (the loaded
    ones were recorded now, however long ago they happened)."""
    engine = create_async_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    started = time.perf_counter()
    caught_up = False
    while not caught_up:
        async with sessions() as session:
            caught_up = await fold_messaging(session)
            await session.commit()
    await engine.dispose()
    print(f"folded the charts' counts in {time.perf_counter() - started:.0f}s")


async def build_list(admin: Admin) -> dict[str, Any]:
    """A list of premium users, built by its real recompute."""
    made = await admin.call("POST", "/lists", {"name": "Premium", "rule": {
        "property": "user.data.plan", "op": "=", "value": "premium"}})  # fmt: skip
    for _ in range(3600):
        built = await admin.call("GET", f"/lists/{made['id']}")
        if built["recompute"]["state"] == "idle":
            break
        await asyncio.sleep(1)
    return built


Request = tuple[str, str, Any]  # method, path, body


def pages(made: dict[str, Any], user: dict[str, Any], organization: str) -> dict[str, list[Request]]:
    """Each console page and the requests it makes (for one user, organization, term)."""
    journey, campaign, lst = made["journey"]["id"], made["campaign"]["id"], made["list"]["id"]
    uid, external = user["id"], user["identifier"][0]["external_id"]
    rule = {"all": [{"property": "user.data.plan", "op": "=", "value": "premium"},
                    {"event": "order.completed", "count": {"op": ">=", "value": 2}, "within": "30 days"}]}  # fmt: skip
    return {
        "journeys": [("GET", "/journeys", None)],
        "journey editor": [
            ("GET", f"/journeys/{journey}", None),
            ("GET", f"/journeys/{journey}/stats", None),
            ("GET", f"/journeys/{journey}/versions", None),
            ("GET", f"/journeys/{journey}/engagement?days=30", None),
            ("GET", "/events/schema", None),
            ("GET", "/campaigns", None),
            ("GET", "/lists", None),
        ],
        "journey step": [("GET", f"/journeys/{journey}/runs?step=wait&limit=50", None)],
        "where is a user": [
            ("GET", f"/users?external_id={external}", None),
            ("GET", f"/journeys/{journey}/runs?user_id={uid}", None),
        ],
        "try on a user": [("POST", f"/journeys/{journey}/trial", {"user_id": uid, "data": {"order": {"total": 50}}})],
        "lists": [("GET", "/lists", None)],
        "list editor": [
            ("GET", f"/lists/{lst}", None),
            ("GET", f"/lists/{lst}/users?limit=20", None),
            ("GET", f"/lists/{lst}/sizes?days=30", None),
        ],
        "list preview": [("POST", f"/lists/{lst}/preview", {"rule": rule})],
        "users": [("GET", "/users?limit=50", None)],
        "user search": [
            ("GET", f"/users?email={user['email'].upper()}&limit=50", None),
            ("GET", f"/users?phone={user['phone']}&limit=50", None),
        ],
        "user": [
            ("GET", f"/users/{uid}", None),
            ("GET", f"/users/{uid}/events?limit=100", None),
            ("GET", f"/users/{uid}/messages", None),
            ("GET", f"/users/{uid}/journeys", None),
            ("GET", f"/users/{uid}/subscriptions", None),
            ("GET", f"/users/{uid}/schedules", None),
        ],
        "organizations": [
            ("GET", "/organizations?limit=50", None),
            ("GET", f"/organizations/{organization}/users?limit=100", None),
        ],
        "campaign": [
            ("GET", f"/campaigns/{campaign}", None),
            ("GET", f"/campaigns/{campaign}/engagement?days=30", None),
            ("POST", f"/campaigns/{campaign}/preview", {"user_id": uid, "journey": {"order": {"total": 9}}}),
        ],
        "broadcasts": [("GET", "/broadcasts", None)],
        "messaging": [("GET", "/providers", None), ("GET", "/subscriptions", None), ("GET", "/suppressions", None)],
        "events": [("GET", "/events/schema", None), ("GET", "/schedules", None), ("GET", "/healthz", None)],
        "settings": [("GET", "/members", None), ("GET", "/keys", None), ("GET", "/audit?limit=50", None)],
    }


async def timed(call: Awaitable[Any]) -> float:
    """Milliseconds until `call` (a coroutine not yet started) answers."""
    started = time.perf_counter()
    await call
    return (time.perf_counter() - started) * 1000


async def measure(admin: Admin, made: dict[str, Any], repeat: int, users: int) -> None:
    picks = random.Random(7)
    people, organizations = [], (await admin.call("GET", "/organizations?limit=100"))["results"]
    for _ in range(repeat):
        people.append(await admin.call("GET", f"/users?external_id=user-{picks.randint(1, users)}"))
    runs = (await admin.call("GET", f"/journeys/{made['journey']['id']}/runs?step=wait&limit={repeat}"))["results"]
    for i, run in enumerate(runs[: repeat // 2]):  # half the users are inside the journey
        people[i] = await admin.call("GET", f"/users/{run['user_id']}")
    bare = [await timed(admin.call("GET", "/healthz")) for _ in range(repeat)]
    times: dict[tuple[str, str], list[float]] = {}
    for round_ in range(repeat):
        organization = organizations[round_ % len(organizations)]["id"]
        for page, requests in pages(made, people[round_], organization).items():
            for method, path, body in requests:
                where, _, query = path.partition("?")
                keys = [pair.split("=")[0] for pair in query.split("&") if pair]
                label = where.replace(people[round_]["id"], "{user}").replace(organization, "{org}")
                label += "?" + "&".join(keys) if keys else ""
                for name in ("journey", "campaign", "list"):
                    label = label.replace(made[name]["id"], "{" + name + "}")
                key = (page, f"{method} {label}")
                times.setdefault(key, []).append(await timed(admin.call(method, path, body)))
    bare_p95 = percentile(bare, 0.95)
    print(f"bare request (/healthz): p50 {percentile(bare, 0.5):.1f} ms, p95 {bare_p95:.1f} ms")
    print(f"{'page':16} {'request':48} {'p50 ms':>8} {'p95 ms':>8} {'p95/budget':>11} {'p95/bare':>9}")
    worst = 0.0
    for (page, request), values in times.items():
        p95 = percentile(values, 0.95)
        worst = max(worst, p95)
        print(f"{page:16} {request:48} {percentile(values, 0.5):8.1f} {p95:8.1f} {p95 / BUDGET_MS:11.2f} "
              f"{p95 / bare_p95:9.1f}")  # fmt: skip
    over = [request for (_, request), values in times.items() if percentile(values, 0.95) >= BUDGET_MS]
    verdict = "every request within" if not over else f"{len(over)} over ({', '.join(sorted(set(over)))})"
    print(f"slowest p95 {worst:.1f} ms: {verdict} the {BUDGET_MS:.0f} ms budget (n={repeat} each)")


async def main() -> None:
    parser = stack_parser(__doc__)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--smtp-port", type=int, default=2525, help="the campaign's provider (nothing is sent)")
    parser.add_argument("--measure", metavar="PROJECT_ID", help="only time the pages of a project loaded before")
    parser.add_argument("--secret-key", help="with --measure: a secret key of that project")
    args = parser.parse_args()
    database_url = args.database_url or dev_database_url(Path(args.data_dir))
    async with httpx.AsyncClient(base_url=args.api, timeout=120) as http:
        if args.measure:
            admin = Admin(http, {"id": args.measure, "secret_key": args.secret_key})
            made = {
                "journey": (await admin.call("GET", "/journeys"))[0],
                "campaign": (await admin.call("GET", "/campaigns"))[0],
                "list": next(lst for lst in await admin.call("GET", "/lists") if lst["name"] == "Premium"),
            }
            print(f"measuring at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
            await measure(admin, made, args.repeat, args.users)
            return
        project = await create_project(http, args.admin_key)
        admin = Admin(http, project)
        made = await set_up(admin, args.smtp_port)
        # An event through the API (not one the journey enters on): the schema the rule builder suggests from.
        client = {"Authorization": f"Bearer {project['public_key']}"}
        sample = [{"name": "cart.viewed", "identifier": [{"external_id": "schema-sample"}],
                   "data": {"total": 12, "currency": "USD"}}]  # fmt: skip
        await http.post("/api/client/users/events", json=sample, headers=client)
        load(database_url.replace("+psycopg", ""), project["id"], made, args.users, args.events, args.runs)
        await fold(database_url)
        began = time.perf_counter()
        made["list"] = await build_list(admin)
        print(f"list built by its recompute in {time.perf_counter() - began:.0f}s: {made['list']['member_count']}")
        print(f"measuring at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
        await measure(admin, made, args.repeat, args.users)


if __name__ == "__main__":
    asyncio.run(main())
