"""`tempogram worker`: run the Temporal worker against the configured PostgreSQL and Temporal."""

import logging

from temporalio.worker import Worker

from core.config import Settings, get_settings
from core.db import create_engine, create_session_factory
from core.event_loop import run
from core.logging import configure_logging
from core.memory import freeze_startup_heap
from core.temporal import connect_client
from domain.messaging.links import Links
from worker.registry import WORKFLOWS, WorkerDeps, build_activities, workflow_runner
from worker.schedules import ensure_system_schedules

log = logging.getLogger(__name__)


async def run_worker(settings: Settings) -> None:
    client = await connect_client(settings)
    # Activities retry on a dropped connection.
    engine = create_engine(settings, pre_ping=False, statement_timeout=settings.worker_statement_timeout_seconds)
    deps = WorkerDeps(
        client=client,
        sessions=create_session_factory(engine),
        task_queue=settings.temporal_task_queue,
        links=Links(public_url=settings.public_url, secret=settings.signing_secret),
    )
    await ensure_system_schedules(client, settings)
    worker = Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=list(WORKFLOWS),
        activities=build_activities(deps),
        workflow_runner=workflow_runner(settings.worker_workflow_sandbox),
        max_cached_workflows=settings.worker_max_cached_workflows,
        max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        max_concurrent_local_activities=settings.worker_max_concurrent_local_activities,
    )
    freeze_startup_heap()
    log.info("worker polling task queue %s", settings.temporal_task_queue)
    try:
        await worker.run()
    finally:
        await deps.http.aclose()
        await engine.dispose()


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    run(run_worker(settings), settings.event_loop)


if __name__ == "__main__":
    main()
