"""Today's workflow code must replay the histories of runs recorded earlier (workflows in flight during a
deploy); after the first release, a change that would break them is versioned (docs/operations.md). The
guard is itself tested: a history that does not match the code must be rejected."""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from worker.registry import WORKFLOWS, workflow_runner

HISTORIES = {path.stem: path.read_text() for path in sorted((Path(__file__).parent / "histories").glob("*.json"))}


def replayer() -> Replayer:
    return Replayer(workflows=list(WORKFLOWS), workflow_runner=workflow_runner())


@pytest.mark.parametrize("name", sorted(HISTORIES))
async def test_recorded_histories_replay(name: str):
    await replayer().replay_workflow(WorkflowHistory.from_json(name, HISTORIES[name]))


async def test_an_incompatible_history_is_rejected():
    """As if the list recompute had once called a different activity at this point."""
    history = json.loads(HISTORIES["list_recompute"])
    for event in history["events"]:
        scheduled = event.get("activityTaskScheduledEventAttributes")
        if scheduled:
            scheduled["activityType"]["name"] = "recompute_list_page_before_a_rename"
            break
    with pytest.raises(NondeterminismError):
        await replayer().replay_workflow(WorkflowHistory.from_json("incompatible", json.dumps(history)))
