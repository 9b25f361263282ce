"""Schedules due in the same minute, against a running stack (`tempogram dev` by default).

    python -m bench.schedules [--assignments 10000] [--through-api N] [--interval "1 day"] [--stored 0]
                              [--compare 1000]

Tempogram's design: N assignments created through the client API (`POST /api/client/users/scheduled`),
all due within one minute, fired by the per-tick dispatcher from PostgreSQL. Prints the creation rate,
the Temporal objects created, fire lateness p50/p99 (event written − fire time) and fires/s. With
`--through-api N` only N go through the API (the creation rate) and the rest are written directly.
`--stored` first adds that many other assignments (due next year) so the due rows are found among many.

The alternatives Temporal recommends, measured with `--compare` assignments each on the same server:
one Temporal Schedule per assignment, one workflow per assignment sleeping in a durable timer, and one
workflow per assignment started with `start_delay`. Then the same server's no-op workflow ceiling.
"""

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleRange,
    ScheduleSpec,
)
from temporalio.worker import Worker

from bench.ceiling import measure_ceiling
from bench.fire_workflows import BenchFire, BenchTimer
from bench.ingest import create_project, dev_database_url, parse_stack_args, percentile, stack_parser
from worker.registry import workflow_runner


@dataclass
class Figures:
    design: str
    assignments: int
    created_per_second: float
    temporal_objects: int
    lateness: list[float]

    @property
    def fires_per_second(self) -> float:
        """All fires are due at the same second: how fast the design works them off."""
        return len(self.lateness) / max(max(self.lateness, default=0), 1.0)

    def line(self) -> str:
        fired = len(self.lateness)
        late = (
            f"p50 {percentile(self.lateness, 0.5):.1f} s, p99 {percentile(self.lateness, 0.99):.1f} s" if fired else "-"
        )
        return (
            f"{self.design:<45} {self.assignments:>7} assignments, created {self.created_per_second:7.1f}/s, "
            f"Temporal objects {self.temporal_objects:>7}, fired {fired:>7} ({self.fires_per_second:7.1f}/s), "
            f"lateness {late}"
        )


async def create_users(engine: AsyncEngine, project_id: str, prefix: str, count: int) -> None:
    """Users for the benchmark, written directly (their creation is not what is measured here)."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO users (id, project_id, data, has_push_device, version, created_at, updated_at) "
                "SELECT md5(CAST(:project AS text) || :prefix || i)::uuid, CAST(:project AS uuid), "
                "'{}'::jsonb, false, 1, now(), now() "
                "FROM generate_series(0, :n - 1) AS i"
            ),
            {"prefix": prefix, "project": project_id, "n": count},
        )
        await connection.execute(
            text(
                "INSERT INTO user_identifiers (id, project_id, user_id, source, external_id, created_at, updated_at) "
                "SELECT gen_random_uuid(), CAST(:project AS uuid), md5(CAST(:project AS text) || :prefix || i)::uuid, "
                "'default', :prefix || i, now(), now() "
                "FROM generate_series(0, :n - 1) AS i"
            ),
            {"prefix": prefix, "project": project_id, "n": count},
        )


async def store_background(engine: AsyncEngine, project_id: str, count: int) -> float:
    """`count` other assignments, due next year: the stored mass the due rows are found among."""
    await create_users(engine, project_id, "stored-", count)
    started = time.perf_counter()
    async with engine.begin() as connection:
        definition = await connection.scalar(
            text(
                "INSERT INTO schedule_definitions (id, project_id, entity, name, offsets, created_at, updated_at) "
                "VALUES (gen_random_uuid(), :project, 'user', 'stored', jsonb_build_array(jsonb_build_object("
                "'id', gen_random_uuid(), 'interval', '0 minutes', 'direction', 'after')), now(), now()) RETURNING id"
            ),
            {"project": project_id},
        )
        await connection.execute(
            text(
                "INSERT INTO schedule_assignments (id, project_id, definition_id, user_id, interval, anchor_at, "
                "data, status, created_at, updated_at) "
                "SELECT md5(CAST(:project AS text) || 'a' || i)::uuid, CAST(:project AS uuid), :definition, "
                "md5(CAST(:project AS text) || 'stored-' || i)::uuid, '1 year', "
                "now() + interval '1 year' + i * interval '1 second', '{}'::jsonb, 'active', now(), now() "
                "FROM generate_series(0, :n - 1) AS i"
            ),
            {"project": project_id, "definition": definition, "n": count},
        )
        await connection.execute(
            text(
                "INSERT INTO schedule_fires (assignment_id, offset_id, occurrence, base_at, fire_at) "
                "SELECT a.id, (d.offsets->0->>'id')::uuid, 0, a.anchor_at, a.anchor_at "
                "FROM schedule_assignments a JOIN schedule_definitions d ON d.id = a.definition_id "
                "WHERE a.definition_id = :definition"
            ),
            {"definition": definition},
        )
    return time.perf_counter() - started


async def tempogram_design(
    api: httpx.AsyncClient,
    engine: AsyncEngine,
    project: dict[str, str],
    count: int,
    through_api: int,
    concurrency: int,
    interval: str | None,
) -> Figures:
    """`through_api` assignments via the client API (that rate is the creation figure), the rest written
    directly; then every one is moved to the same second, a little after creation ended."""
    await create_users(engine, project["id"], "due-", count)
    headers = {"Authorization": f"Bearer {project['public_key']}"}
    slots = asyncio.Semaphore(concurrency)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()

    async def upsert(i: int) -> None:
        body = {"name": "bench", "identifier": [{"external_id": f"due-{i}"}], "scheduled_at": tomorrow, "data": {}}
        if interval:
            body["interval"] = interval
        async with slots:
            response = await api.post("/api/client/users/scheduled", json=body, headers=headers)
            response.raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(upsert(i) for i in range(through_api)))
    created = through_api / (time.perf_counter() - started)
    print(f"  created {through_api} assignments through the API at {created:.0f}/s", flush=True)
    async with engine.begin() as connection:
        if count > through_api:
            await connection.execute(
                text(
                    "INSERT INTO schedule_assignments (id, project_id, definition_id, user_id, scheduled_at, "
                    "interval, anchor_at, data, status, created_at, updated_at) "
                    "SELECT gen_random_uuid(), d.project_id, d.id, md5(CAST(:project AS text) || 'due-' || i)::uuid, "
                    "now() + interval '1 day', :interval, now() + interval '1 day', '{}'::jsonb, 'active', "
                    "now(), now() "
                    "FROM schedule_definitions d, generate_series(:first, :n - 1) AS i "
                    "WHERE d.project_id = CAST(:project AS uuid) AND d.name = 'bench'"
                ),
                {"project": project["id"], "first": through_api, "n": count, "interval": interval},
            )
            await connection.execute(
                text(
                    "INSERT INTO schedule_fires (assignment_id, offset_id, occurrence, base_at, fire_at) "
                    "SELECT a.id, (d.offsets->0->>'id')::uuid, 0, a.anchor_at, a.anchor_at "
                    "FROM schedule_assignments a JOIN schedule_definitions d ON d.id = a.definition_id "
                    "WHERE d.project_id = CAST(:project AS uuid) AND d.name = 'bench' ON CONFLICT DO NOTHING"
                ),
                {"project": project["id"]},
            )
            print(f"  wrote {count - through_api} more directly", flush=True)
        fire_at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        for table, columns in (("schedule_assignments", "scheduled_at = :at, anchor_at = :at"),
                               ("schedule_fires", "base_at = :at, fire_at = :at")):  # fmt: skip
            await connection.execute(
                text(
                    f"UPDATE {table} SET {columns} WHERE {'id' if table == 'schedule_assignments' else 'assignment_id'}"
                    " IN (SELECT a.id FROM schedule_assignments a JOIN schedule_definitions d "
                    "ON d.id = a.definition_id WHERE d.project_id = CAST(:project AS uuid) AND d.name = 'bench')"
                ),
                {"at": fire_at, "project": project["id"]},
            )
    print(f"  all {count} due at {fire_at:%H:%M:%S}", flush=True)
    lateness = await wait_fired(engine, project["id"], count, fire_at)
    design = "Tempogram: due rows + dispatcher" + (f", every {interval}" if interval else "")
    return Figures(design, count, created, 0, lateness)


async def wait_fired(engine: AsyncEngine, project_id: str, count: int, due: datetime) -> list[float]:
    query = text(
        "SELECT extract(epoch from created_at - (data->>'fire_at')::timestamptz) FROM events "
        "WHERE project_id = :project AND name = 'scheduled.bench'"
    )
    deadline = due + timedelta(minutes=30)
    while datetime.now(UTC) < deadline:
        async with engine.connect() as connection:
            lateness = [float(v) for v in (await connection.scalars(query, {"project": project_id}))]
        if len(lateness) >= count:
            return lateness
        await asyncio.sleep(1)
    return lateness


async def per_assignment_schedules(client: Client, queue: str, count: int, concurrency: int) -> Figures:
    """The literal reading: one Temporal Schedule per assignment, its action starting the fire."""
    prefix = f"bench-schedule-{uuid.uuid4().hex[:8]}"
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=max(60, count // 20))
    slots = asyncio.Semaphore(concurrency)

    async def create(i: int) -> None:
        at = due  # every one due at the same second: the 09:00 case
        spec = ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    second=[ScheduleRange(at.second)], minute=[ScheduleRange(at.minute)],
                    hour=[ScheduleRange(at.hour)], day_of_month=[ScheduleRange(at.day)],
                    month=[ScheduleRange(at.month)], year=[ScheduleRange(at.year)],
                )
            ]
        )  # fmt: skip
        action = ScheduleActionStartWorkflow(BenchFire.run, id=f"{prefix}-fire-{i}", task_queue=queue)
        async with slots:
            await client.create_schedule(f"{prefix}-{i}", Schedule(action=action, spec=spec))

    started = time.perf_counter()
    await asyncio.gather(*(create(i) for i in range(count)))
    created = count / (time.perf_counter() - started)
    lateness = await schedule_starts(client, [f"{prefix}-{i}" for i in range(count)], due)
    for i in range(count):
        await client.get_schedule_handle(f"{prefix}-{i}").delete()
    return Figures("one Temporal Schedule each", count, created, 2 * count, lateness)


async def per_assignment_workflows(client: Client, queue: str, count: int, concurrency: int, timer: bool) -> Figures:
    """A workflow per assignment: sleeping in a durable timer, or started with `start_delay`."""
    prefix = f"bench-{'timer' if timer else 'delay'}-{uuid.uuid4().hex[:8]}"
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=max(60, count // 20))
    slots = asyncio.Semaphore(concurrency)

    async def start(i: int) -> None:
        async with slots:
            if timer:
                await client.start_workflow(BenchTimer.run, due.isoformat(), id=f"{prefix}-{i}", task_queue=queue)
            else:
                delay = due - datetime.now(UTC)
                await client.start_workflow(BenchFire.run, id=f"{prefix}-{i}", task_queue=queue, start_delay=delay)

    started = time.perf_counter()
    await asyncio.gather(*(start(i) for i in range(count)))
    created = count / (time.perf_counter() - started)
    lateness = await collect(client, [f"{prefix}-{i}" for i in range(count)], due)
    design = "one workflow each, durable timer" if timer else "one workflow each, start_delay"
    return Figures(design, count, created, count, lateness)


async def schedule_starts(client: Client, schedule_ids: list[str], due: datetime) -> list[float]:
    """Each Schedule's lateness: when it actually started its workflow minus the fire time."""
    slots = asyncio.Semaphore(32)

    async def one(schedule_id: str) -> float:
        async with slots:
            for _ in range(3600):
                actions = (await client.get_schedule_handle(schedule_id).describe()).info.recent_actions
                if actions:
                    return (actions[0].started_at - due).total_seconds()
                await asyncio.sleep(1)
            raise TimeoutError(schedule_id)

    await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
    return list(await asyncio.gather(*(one(s) for s in schedule_ids)))


async def collect(client: Client, workflow_ids: list[str], due: datetime) -> list[float]:
    """Each fire's lateness: when its workflow ran (it returns its clock) minus the fire time."""
    slots = asyncio.Semaphore(64)

    async def one(workflow_id: str) -> float:
        async with slots:
            for _ in range(600):
                try:
                    ran = await client.get_workflow_handle(workflow_id).result()
                    return (datetime.fromisoformat(ran) - due).total_seconds()
                except Exception:  # noqa: BLE001 - the schedule has not started it yet
                    await asyncio.sleep(1)
            raise TimeoutError(workflow_id)

    return list(await asyncio.gather(*(one(w) for w in workflow_ids)))


async def main() -> None:
    parser = stack_parser(__doc__)
    parser.add_argument("--assignments", type=int, default=10_000, help="due in the same minute (100000 at scale)")
    parser.add_argument("--stored", type=int, default=0, help="other assignments stored first (1000000 at scale)")
    parser.add_argument("--compare", type=int, default=1000, help="assignments per alternative design (0: skip)")
    parser.add_argument("--through-api", type=int, help="of them created through the API (default: all)")
    parser.add_argument("--interval", help="make the assignments recurring (e.g. '1 day'): fired rows move on")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parse_stack_args(parser)
    engine = create_async_engine(args.database_url or dev_database_url(args.data_dir))
    client = await Client.connect(args.temporal)
    results: list[Figures] = []
    async with httpx.AsyncClient(base_url=args.api, timeout=60) as api:
        project = await create_project(api, args.admin_key)
        if args.stored:
            seconds = await store_background(engine, project["id"], args.stored)
            print(f"stored {args.stored} other assignments (due next year) in {seconds:.0f} s", flush=True)
        through_api = min(args.through_api or args.assignments, args.assignments)
        results.append(
            await tempogram_design(api, engine, project, args.assignments, through_api, args.concurrency, args.interval)
        )
    if args.compare:
        queue = f"bench-schedules-{uuid.uuid4()}"
        async with Worker(
            client, task_queue=queue, workflows=[BenchFire, BenchTimer], workflow_runner=workflow_runner()
        ):
            results.append(await per_assignment_schedules(client, queue, args.compare, args.concurrency))
            results.append(await per_assignment_workflows(client, queue, args.compare, args.concurrency, timer=True))
            results.append(await per_assignment_workflows(client, queue, args.compare, args.concurrency, timer=False))
    ceiling = await measure_ceiling(client)
    print()
    for figures in results:
        print(figures.line())
    print(f"no-op workflow ceiling on this server: {ceiling.per_second:.1f} workflows/s")
    print(f"ratio: Tempogram fires/s / no-op workflows/s = {results[0].fires_per_second / ceiling.per_second:.1f}")
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
