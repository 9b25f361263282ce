"""`tempogram worker`: run the Temporal worker against the configured PostgreSQL and Temporal."""

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from temporalio.worker import Worker

from core.config import Settings, get_settings
from core.db import create_engine, create_session_factory
from core.event_loop import run
from core.logging import configure_logging
from core.memory import freeze_startup_heap
from core.temporal import connect_client
from domain.messaging.links import Links
from lifecycle.system_clock import ensure_system_workflows
from worker.registry import WORKFLOWS, WorkerDeps, build_activities, workflow_runner

log = logging.getLogger(__name__)


async def run_worker(settings: Settings) -> None:
    client = await connect_client(settings)
    # Activities retry on a dropped connection.
    engine = create_engine(settings, pre_ping=False, statement_timeout=settings.worker_statement_timeout_seconds)
    deps = WorkerDeps(
        client=client,
        sessions=create_session_factory(engine),
        task_queue=settings.temporal_task_queue,
        links=Links.from_settings(settings),
    )
    await ensure_system_workflows(client, settings)
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
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_graceful_shutdown_seconds),
    )
    freeze_startup_heap()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows' loops take no signal handlers
            loop.add_signal_handler(signum, stop.set)
    log.info("worker polling task queue %s", settings.temporal_task_queue)
    try:
        async with worker:
            await stop.wait()
            # Leaving the block stops polling and waits for running activities (a send between its
            # claim and its record) up to the grace period, so a stop sends nothing twice.
            log.info("stopping: finishing running activities (up to %.0f s)", settings.worker_graceful_shutdown_seconds)
    finally:
        await deps.http.aclose()
        await engine.dispose()
    log.info("worker stopped")


def main() -> None:
    settings = get_settings()
    settings.check_secrets()
    configure_logging(settings.log_level, settings.log_format)
    run(run_worker(settings), settings.event_loop)


if __name__ == "__main__":
    main()
