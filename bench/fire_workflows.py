"""Workflows of the alternative schedule designs bench/schedules.py measures (a module of their own:
the workflow sandbox re-imports the module a workflow is defined in)."""

from datetime import datetime, timedelta

from temporalio import workflow


@workflow.defn
class BenchFire:
    """What a fire costs in the alternatives: a workflow that notes when it ran."""

    @workflow.run
    async def run(self) -> str:
        return workflow.now().isoformat()


@workflow.defn
class BenchTimer:
    """The per-assignment durable-timer alternative: sleep until the fire time, then fire."""

    @workflow.run
    async def run(self, fire_at: str) -> str:
        delay = datetime.fromisoformat(fire_at) - workflow.now()
        if delay > timedelta(0):
            await workflow.sleep(delay)
        return workflow.now().isoformat()
