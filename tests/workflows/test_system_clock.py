"""Tempogram's own periodic work is one long-lived workflow, not a new workflow every few seconds."""

import uuid
from datetime import UTC, datetime, timedelta

from temporalio.client import WorkflowExecutionStatus

from core.config import Settings
from domain.schedules.payloads import SYSTEM_CLOCK_ID
from lifecycle.system_clock import ensure_system_workflows
from tests.helpers import ProjectKeys, make_worker, timeline, until, upsert


async def test_one_system_clock_ticks_and_changed_settings_replace_it(
    api, project: ProjectKeys, temporal_client, sessions, settings: Settings
):
    user = await upsert(api, project, "clockwork")
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    body = {"name": "ping", "identifier": [{"external_id": "clockwork"}], "scheduled_at": soon}
    assert (await api.post("/api/client/users/scheduled", json=body, headers=project.public)).status_code == 202

    queue = f"clock-{uuid.uuid4()}"
    clock_settings = settings.model_copy(update={"temporal_task_queue": queue, "schedule_tick_seconds": 1})
    async with make_worker(temporal_client, sessions, queue):
        await ensure_system_workflows(temporal_client, clock_settings)
        first = await temporal_client.get_workflow_handle(SYSTEM_CLOCK_ID).describe()
        await ensure_system_workflows(temporal_client, clock_settings)  # a second worker starting: kept
        kept = await temporal_client.get_workflow_handle(SYSTEM_CLOCK_ID).describe()
        assert kept.run_id == first.run_id and kept.status == WorkflowExecutionStatus.RUNNING
        clock_settings = clock_settings.model_copy(update={"stranded_event_grace_seconds": 31})
        await ensure_system_workflows(temporal_client, clock_settings)  # a worker with changed settings
        try:

            async def fired() -> bool:
                return "scheduled.ping" in [e["name"] for e in await timeline(api, project, user["id"])]

            await until(fired, equals=True)
            query = f'WorkflowId = "{SYSTEM_CLOCK_ID}"'
            runs = [w async for w in temporal_client.list_workflows(query)]
            running = [w for w in runs if w.status == WorkflowExecutionStatus.RUNNING]
            assert len(running) == 1 and running[0].run_id != first.run_id  # replaced, not doubled
            # Nothing else ran on the clock's queue: ticks, sweeps and refreshes are not workflows of their own.
            on_queue = [w.workflow_type async for w in temporal_client.list_workflows(f'TaskQueue = "{queue}"')]
            assert set(on_queue) == {"SystemClock", "ProcessEvent"} or set(on_queue) == {"SystemClock"}, on_queue
        finally:
            await temporal_client.get_workflow_handle(SYSTEM_CLOCK_ID).terminate("test over")
