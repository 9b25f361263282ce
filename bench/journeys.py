"""Journey throughput against a running stack (`tempogram dev` by default).

    python -m bench.journeys [--users 10000] [--batch 100] [--concurrency 16]

Enters every user into `entrance → delay 1 s → gate → send (to an SMTP sink started here) → exit` and
prints runs completed/s, event→entrance and send→SMTP-received latencies, timer lateness, the worker's
RSS, and — measured in the same run on the same Temporal server — the ceiling of no-op workflows with
the ratio runs/ceiling.
"""

import asyncio
import csv
import io
import socket
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from temporalio.client import Client

from bench.ceiling import measure_ceiling
from bench.ingest import create_project, dev_database_url, parse_stack_args, percentile, stack_parser


class TimedSink:
    """An SMTP server that notes when each recipient's message arrived."""

    def __init__(self) -> None:
        self.received: dict[str, datetime] = {}

    async def handle_DATA(self, _server: object, _session: object, envelope: object) -> str:  # noqa: N802
        for recipient in envelope.rcpt_tos:  # type: ignore[attr-defined]
            self.received[recipient] = datetime.now(UTC)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ms(values: list[float]) -> str:
    return f"p50 {percentile(values, 0.5) * 1000:.0f} ms, p99 {percentile(values, 0.99) * 1000:.0f} ms"


def worker_rss_mib() -> list[float]:
    """Resident memory of each local worker process."""
    found = subprocess.run(["pgrep", "-f", "worker.main"], capture_output=True, text=True).stdout.split()
    sizes = []
    for pid in found:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


async def set_up(api: httpx.AsyncClient, project: dict[str, str], smtp_port: int, users: int) -> str:
    secret = {"Authorization": f"Bearer {project['secret_key']}"}
    admin = f"/api/admin/projects/{project['id']}"
    provider = await api.post(f"{admin}/providers", headers=secret, json={
        "name": "sink", "kind": "smtp",
        "config": {"host": "127.0.0.1", "port": smtp_port, "tls": "none", "from": "bench@example.com"},
    })  # fmt: skip
    campaign = await api.post(f"{admin}/campaigns", headers=secret, json={
        "name": "bench", "channel": "email", "provider_id": provider.json()["id"],
        "templates": {"en": {"subject": "Hi {{ user.data.first_name }}", "text": "Order {{ journey.order.id }}"}},
    })  # fmt: skip
    journey = await api.post(f"{admin}/journeys", headers=secret, json={"name": "bench", "steps": {
        "entry": {"type": "entrance", "event": "bench.ordered", "data_key": "order", "next": "wait"},
        "wait": {"type": "delay", "duration": "1 second", "next": "gate"},
        "gate": {"type": "gate", "rule": {"property": "user.data.plan", "op": "=", "value": "pro"},
                 "yes": "send", "no": "done"},
        "send": {"type": "send", "campaign_id": campaign.json()["id"], "next": "done"},
        "done": {"type": "exit"},
    }})  # fmt: skip
    journey.raise_for_status()
    journey_id = journey.json()["id"]
    (await api.post(f"{admin}/journeys/{journey_id}/publish", headers=secret)).raise_for_status()

    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["external_id", "email", "first_name", "plan"])
    writer.writerows([f"u{i}", f"u{i}@bench.example", f"User {i}", "pro"] for i in range(users))
    imported = await api.post(
        f"{admin}/users/import", headers=secret, files={"file": ("users.csv", rows.getvalue(), "text/csv")}
    )
    imported.raise_for_status()
    return journey_id


async def enter_all(api: httpx.AsyncClient, key: str, users: int, batch: int, concurrency: int) -> None:
    slots = asyncio.Semaphore(concurrency)

    async def post(offset: int) -> None:
        items = [
            {"name": "bench.ordered", "identifier": [{"external_id": f"u{i}"}], "data": {"id": f"o{i}"}}
            for i in range(offset, min(offset + batch, users))
        ]
        async with slots:
            response = await api.post(
                "/api/client/users/events", json=items, headers={"Authorization": f"Bearer {key}"}
            )
            response.raise_for_status()

    await asyncio.gather(*(post(offset) for offset in range(0, users, batch)))


async def wait_ended(engine: AsyncEngine, journey_id: str, users: int, limit_seconds: float) -> None:
    deadline = time.monotonic() + limit_seconds
    ended = 0
    while time.monotonic() < deadline:
        async with engine.connect() as connection:
            ended = await connection.scalar(
                text("SELECT count(*) FROM journey_runs WHERE journey_id = :j AND ended_at IS NOT NULL"),
                {"j": journey_id},
            )
        if ended >= users:
            return
        await asyncio.sleep(1)
    raise SystemExit(f"only {ended} of {users} runs ended after {limit_seconds:.0f}s")


async def measurements(engine: AsyncEngine, journey_id: str) -> list[tuple]:  # type: ignore[type-arg]
    """Per run: event accepted, run admitted, each step's start, run end, and the user's email."""
    query = text(
        """
        SELECT e.created_at, r.created_at, r.ended_at, u.email,
               max(v.entered_at) FILTER (WHERE v.step_id = 'wait'),
               max(v.entered_at) FILTER (WHERE v.step_id = 'gate'),
               max(v.entered_at) FILTER (WHERE v.step_id = 'send')
        FROM journey_runs r
        JOIN events e ON e.id = r.entering_event_id
        JOIN users u ON u.id = r.user_id
        JOIN journey_step_visits v ON v.run_id = r.id
        WHERE r.journey_id = :j
        GROUP BY e.created_at, r.created_at, r.ended_at, u.email
        """
    )
    async with engine.connect() as connection:
        return list((await connection.execute(query, {"j": journey_id})).all())


async def main() -> None:
    parser = stack_parser(__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--ceiling-workflows", type=int, default=2_000)
    args = parse_stack_args(parser)

    sink = TimedSink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    engine = create_async_engine(args.database_url or dev_database_url(args.data_dir.resolve()))
    client = await Client.connect(args.temporal)
    async with httpx.AsyncClient(base_url=args.api, timeout=300) as api:
        ceiling = await measure_ceiling(client, args.ceiling_workflows)
        print(f"ceiling: {ceiling.workflows} no-op workflows in {ceiling.seconds:.1f}s = {ceiling.per_second:.1f}/s")

        project = await create_project(api, args.admin_key)
        journey_id = await set_up(api, project, smtp_port, args.users)
        started = time.perf_counter()
        await enter_all(api, project["public_key"], args.users, args.batch, args.concurrency)
        accepted_in = time.perf_counter() - started
        await wait_ended(engine, journey_id, args.users, limit_seconds=7200)
        rss = worker_rss_mib()

    rows = await measurements(engine, journey_id)
    first_accept = min(r[0] for r in rows)
    last_end = max(r[2] for r in rows)
    per_second = len(rows) / (last_end - first_accept).total_seconds()
    entrance = [(r[4] - r[0]).total_seconds() for r in rows if r[4]]
    lateness = [max(0.0, (r[5] - r[4]).total_seconds() - 1.0) for r in rows if r[4] and r[5]]
    delivery = [(sink.received[r[3]] - r[6]).total_seconds() for r in rows if r[6] and r[3] in sink.received]
    rss_text = " + ".join(f"{size:.0f} MiB" for size in rss) + f" ({len(rss)} processes)" if rss else "(none found)"
    print(
        f"journeys: {len(rows)} runs (entrance → delay 1 s → gate → send → exit), "
        f"posted in batches of {args.batch} at concurrency {args.concurrency}, {time.perf_counter() - started:.0f}s "
        f"(all accepted after {accepted_in:.1f}s)\n"
        f"  runs completed        {per_second:8.1f} /s\n"
        f"  event→entrance        {ms(entrance)} (accepted → first step running)\n"
        f"  send→SMTP received    {ms(delivery)} ({len(sink.received)} emails)\n"
        f"  timer lateness        {ms(lateness)}\n"
        f"  worker RSS            {rss_text}"
    )
    print(f"ratio runs/ceiling: {per_second / ceiling.per_second:.2f}")
    await engine.dispose()
    controller.stop()


if __name__ == "__main__":
    asyncio.run(main())
