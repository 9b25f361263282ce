"""Delays of days and weeks, and wall-clock delays across daylight-saving changes, on the time-skipping server."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from tests.helpers import ProjectKeys, enter, live_journey, make_worker, runs, upsert


def visits(run: dict[str, Any]) -> dict[str, datetime]:
    return {v["step_id"]: datetime.fromisoformat(v["entered_at"]) for v in run["history"]}


async def test_a_thirty_day_delay_waits_thirty_days_of_workflow_time(
    api, project: ProjectKeys, sessions, skipping_env: WorkflowEnvironment
):
    journey = await live_journey(api, project, {
        "entry": {"type": "entrance", "event": "subscribed", "next": "wait"},
        "wait": {"type": "delay", "duration": "4 weeks 2 days", "next": "done"},
        "done": {"type": "exit"},
    })  # fmt: skip
    user = await upsert(api, project, "lia")
    task_queue = f"journey-timers-{uuid.uuid4()}"
    async with make_worker(skipping_env.client, sessions, task_queue):
        workflow_id = await enter(sessions, skipping_env, task_queue, journey["id"], user["id"])
        await skipping_env.sleep(timedelta(days=31))  # handles not from start_workflow do not skip time
        result = await skipping_env.client.get_workflow_handle(workflow_id).result()
    assert result == {"status": "completed", "last_step": "done"}
    [run] = await runs(api, project, journey["id"], user["id"])
    at = visits(run)
    assert at["done"] - at["wait"] >= timedelta(days=30)
    assert at["done"] - at["wait"] < timedelta(days=30, minutes=1)


async def test_until_time_is_nine_local_on_both_sides_of_a_daylight_saving_change(
    api, project: ProjectKeys, sessions, skipping_env: WorkflowEnvironment
):
    journey = await live_journey(api, project, {
        "entry": {"type": "entrance", "event": "subscribed", "next": "morning"},
        "morning": {"type": "delay", "until_time": "09:00", "next": "next_morning"},
        "next_morning": {"type": "delay", "until_time": "09:00", "next": "done"},
        "done": {"type": "exit"},
    })  # fmt: skip
    user = await upsert(api, project, "max", timezone="America/New_York")
    # Saturday 13 March 2027, 15:00 UTC (10:00 EST); clocks in New York spring forward that night.
    saturday = datetime(2027, 3, 13, 15, 0, tzinfo=UTC)
    now = await skipping_env.get_current_time()
    assert now < saturday, "move this test's dates forward"
    await skipping_env.sleep(saturday - now)

    task_queue = f"journey-dst-{uuid.uuid4()}"
    async with make_worker(skipping_env.client, sessions, task_queue):
        workflow_id = await enter(sessions, skipping_env, task_queue, journey["id"], user["id"])
        await skipping_env.sleep(timedelta(days=3))
        await skipping_env.client.get_workflow_handle(workflow_id).result()
    [run] = await runs(api, project, journey["id"], user["id"])
    at = visits(run)
    # 09:00 EDT on Sunday (UTC-4), then 09:00 EDT on Monday: 24 hours apart, one hour less than across the change.
    assert at["next_morning"].astimezone(UTC).replace(second=0, microsecond=0) == datetime(
        2027, 3, 14, 13, 0, tzinfo=UTC
    )
    assert at["done"].astimezone(UTC).replace(second=0, microsecond=0) == datetime(2027, 3, 15, 13, 0, tzinfo=UTC)
