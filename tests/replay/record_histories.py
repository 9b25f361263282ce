"""Record the histories the replay test checks: `RECORD_HISTORIES=1 tempogram test tests/replay`.

Re-record only for a deliberate, patched change; the committed histories stand for workflows in flight."""

import json
import os
from pathlib import Path

import pytest

from tests.api.test_lists import create_list, upsert
from tests.conftest import ProjectKeys

HISTORIES = Path(__file__).parent / "histories"


@pytest.mark.skipif(not os.environ.get("RECORD_HISTORIES"), reason="set RECORD_HISTORIES=1 to re-record")
async def test_record(api, project: ProjectKeys, temporal_client):
    await upsert(api, project, "replay-user", data={"plan": "premium"})
    lst = await create_list(
        api, project, {"property": "user.data.plan", "op": "=", "value": "premium"}, temporal_client
    )
    posted = await api.post(
        "/api/client/users/events",
        headers=project.public,
        json=[
            {"name": "order.completed", "identifier": [{"external_id": "replay-new"}], "data": {"total": 10}},
            {"name": "promo", "match": {"plan": "premium"}},
        ],
    )
    by_identifier, by_match = posted.json()["event_ids"]
    workflow_ids = {
        "process_event_identifier": f"event/{project.id}/{by_identifier}",
        "process_event_match": f"event/{project.id}/{by_match}",
        "list_recompute": f"list/{lst['id']}/recompute",
    }
    for name, workflow_id in workflow_ids.items():
        handle = temporal_client.get_workflow_handle(workflow_id)
        await handle.result()
        history = await handle.fetch_history()
        (HISTORIES / f"{name}.json").write_text(json.dumps(json.loads(history.to_json()), indent=1))
