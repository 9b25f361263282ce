"""Journey throughput against a running stack (`tempogram dev` by default).

    python -m bench.journeys [--users 10000] [--batch 100] [--concurrency 16] [--channel email|webhook]

Enters every user into `entrance → delay 1 s → gate → send → exit`, the send an email to an SMTP sink
or a webhook to an HTTP sink started here, and prints runs completed/s, event→entrance and
send→received latencies, timer lateness, the worker's RSS, and — measured in the same run on the same
Temporal server — the ceiling of no-op workflows with the ratio runs/ceiling.
"""

import argparse
import asyncio
import csv
import io
import json
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from temporalio.client import Client

from bench.ceiling import measure_ceiling
from bench.ingest import create_project, dev_database_url, parse_stack_args, percentile, stack_parser


class TimedSink:
    """An SMTP server (aiosmtpd handler) and an HTTP server (ASGI app) that note when each recipient's
    message arrived: an email's recipient, a webhook's JSON `to`."""

    def __init__(self) -> None:
        self.received: dict[str, datetime] = {}

    async def handle_DATA(self, _server: object, _session: object, envelope: object) -> str:  # noqa: N802
        for recipient in envelope.rcpt_tos:  # type: ignore[attr-defined]
            self.received[recipient] = datetime.now(UTC)
        return "250 OK"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.received[json.loads(body)["to"]] = datetime.now(UTC)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{}"})


@asynccontextmanager
async def sink_for(channel: str, sink: TimedSink) -> AsyncIterator[int]:
    """Run the sink for the channel on a free port; yields the port."""
    port = free_port()
    if channel == "email":
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            yield port
        finally:
            controller.stop()
        return
    server = uvicorn.Server(uvicorn.Config(sink, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn tells it by a flag only
        await asyncio.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        await serving


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


def campaign_for(channel: str, port: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The sink's provider and a campaign naming the user and the entering order."""
    if channel == "email":
        config = {"host": "127.0.0.1", "port": port, "tls": "none", "from": "bench@example.com"}
        email = {"subject": "Hi {{ user.data.first_name }}", "text": "Order {{ journey.order.id }}"}
        return {"name": "sink", "kind": "smtp", "config": config}, {"channel": "email", "templates": {"en": email}}
    template: dict[str, Any] = {
        "url": f"http://127.0.0.1:{port}/orders",
        "body": {"to": "{{ user.email }}", "name": "{{ user.data.first_name }}", "order": "{{ journey.order.id }}"},
    }
    return {"name": "sink", "kind": "webhook", "config": {}}, {"channel": "webhook", "templates": {"en": template}}


async def set_up(api: httpx.AsyncClient, project: dict[str, str], port: int, users: int, channel: str = "email") -> str:
    secret = {"Authorization": f"Bearer {project['secret_key']}"}
    admin = f"/api/admin/projects/{project['id']}"
    provider_in, campaign_in = campaign_for(channel, port)
    provider = await api.post(f"{admin}/providers", headers=secret, json=provider_in)
    provider.raise_for_status()
    campaign = await api.post(
        f"{admin}/campaigns",
        headers=secret,
        json={"name": "bench", "provider_id": provider.json()["id"], **campaign_in},
    )
    campaign.raise_for_status()
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


async def measurements(engine: AsyncEngine, journey_id: str) -> list[tuple[Any, ...]]:
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
    parser.add_argument("--channel", choices=["email", "webhook"], default="email", help="what the send step sends")
    args = parse_stack_args(parser)

    sink = TimedSink()
    async with sink_for(args.channel, sink) as port:
        await measure(args, sink, port)


async def measure(args: argparse.Namespace, sink: TimedSink, port: int) -> None:
    engine = create_async_engine(args.database_url or dev_database_url(args.data_dir.resolve()))
    client = await Client.connect(args.temporal)
    async with httpx.AsyncClient(base_url=args.api, timeout=300) as api:
        ceiling = await measure_ceiling(client, args.ceiling_workflows)
        print(f"ceiling: {ceiling.workflows} no-op workflows in {ceiling.seconds:.1f}s = {ceiling.per_second:.1f}/s")

        project = await create_project(api, args.admin_key)
        journey_id = await set_up(api, project, port, args.users, args.channel)
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
        f"  send→{'SMTP' if args.channel == 'email' else 'HTTP'} received    {ms(delivery)} "
        f"({len(sink.received)} {'emails' if args.channel == 'email' else 'webhooks'})\n"
        f"  timer lateness        {ms(lateness)}\n"
        f"  worker RSS            {rss_text}"
    )
    print(f"ratio runs/ceiling: {per_second / ceiling.per_second:.2f}")
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
