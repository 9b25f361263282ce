"""The baseline every benchmark divides by: how fast this Temporal server starts and completes
no-op workflows, measured in the same run against the same server."""

import asyncio
import time
import uuid
from dataclasses import dataclass

from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker

from core.config import Settings
from worker.registry import workflow_runner


@workflow.defn
class NoOp:
    @workflow.run
    async def run(self) -> None:
        return None


@dataclass
class Ceiling:
    workflows: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.workflows / self.seconds


async def measure_ceiling(client: Client, workflows: int = 2000, concurrency: int = 32) -> Ceiling:
    task_queue = f"bench-noop-{uuid.uuid4()}"
    slots = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with slots:
            await client.execute_workflow(NoOp.run, id=f"bench/noop/{task_queue}/{i}", task_queue=task_queue)

    # The same workflow runner as Tempogram's worker, so the baseline is not handicapped.
    runner = workflow_runner(Settings().worker_workflow_sandbox)
    async with Worker(client, task_queue=task_queue, workflows=[NoOp], workflow_runner=runner):
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(workflows)))
        return Ceiling(workflows, time.perf_counter() - started)
