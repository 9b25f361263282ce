"""Time alone moves membership: events age out of a `within` window without any new event."""

import uuid
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from domain.lists.payloads import REFRESH_TIME_BASED_LISTS_WORKFLOW, RefreshInput
from tests.helpers import ProjectKeys, create_list, make_worker, member_ids, post_events, timeline


async def test_users_leave_when_their_events_age_out_of_the_window(
    api, project: ProjectKeys, temporal_client, sessions, skipping_env: WorkflowEnvironment
):
    recent_buyers = await create_list(
        api, project, {"event": "order.completed", "within": "7 days"}, temporal_client, "bought this week"
    )
    [result] = await post_events(
        api, project, temporal_client, [{"name": "order.completed", "identifier": [{"external_id": "once"}]}]
    )
    assert await member_ids(api, project, recent_buyers["id"]) == {result["user_id"]}

    task_queue = f"time-{uuid.uuid4()}"
    async with make_worker(skipping_env.client, sessions, task_queue):
        await skipping_env.sleep(timedelta(days=8))
        started = await skipping_env.client.execute_workflow(
            REFRESH_TIME_BASED_LISTS_WORKFLOW,
            RefreshInput(as_of=""),
            id=f"refresh-{uuid.uuid4()}",
            task_queue=task_queue,
        )
        assert started >= 1
        await skipping_env.client.get_workflow_handle(f"list/{recent_buyers['id']}/recompute").result()

    assert await member_ids(api, project, recent_buyers["id"]) == set()
    names = [e["name"] for e in await timeline(api, project, result["user_id"])]
    assert names.count("list.user.removed") == 1
