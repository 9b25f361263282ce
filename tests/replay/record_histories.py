"""Record the histories the replay test checks: `RECORD_HISTORIES=1 tempogram test tests/replay`.

Until the first release, re-record them whenever workflow code changes. After it, the committed
histories stand for workflows in flight: a change that breaks them is versioned (docs/operations.md)."""

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import Client

from domain.lists.payloads import LIST_RECOMPUTE_WORKFLOW, ListRecomputeInput
from domain.schedules.payloads import FIRE_DUE_SCHEDULES_WORKFLOW, SYSTEM_CLOCK_WORKFLOW, SystemClockInput, Tick
from tests.helpers import (
    ProjectKeys,
    create_list,
    email_campaign,
    live_journey,
    order_follow_up,
    post_events,
    run_result,
    static_list,
    upsert,
    waiting_steps,
    workflow_result,
)
from tests.sinks import SmtpSink

HISTORIES = Path(__file__).parent / "histories"


async def save_history(client: Client, workflow_id: str, name: str) -> None:
    """Wait for the workflow to end (it may not have started yet), then store its history as
    `histories/<name>.json`."""
    await workflow_result(client, workflow_id)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    (HISTORIES / f"{name}.json").write_text(json.dumps(json.loads(history.to_json()), indent=1))


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
        await save_history(temporal_client, workflow_id, name)


@pytest.mark.skipif(not os.environ.get("RECORD_HISTORIES"), reason="set RECORD_HISTORIES=1 to re-record")
async def test_record_journey_runs(api, project: ProjectKeys, temporal_client, smtp: SmtpSink):
    """A representative journey (gate, send, update, delay, exit), and a run ended by its `exit_on` event."""
    campaign = await email_campaign(
        api, project, smtp.port, {"en": {"subject": "Hi", "text": "{{ journey.order.total }}"}}
    )
    follow_up = await live_journey(api, project, order_follow_up(campaign["id"]))
    waiting = await live_journey(
        api, project, waiting_steps("order.completed", "2 days"), exit_on=[{"event": "order.refunded"}]
    )
    user = await upsert(api, project, "replay-buyer", email="buyer@example.com", data={"plan": "premium"})
    identifier = [{"external_id": "replay-buyer"}]
    await post_events(api, project, temporal_client, [{"name": "order.completed", "identifier": identifier,
                                                       "data": {"total": 42}}])  # fmt: skip
    await run_result(temporal_client, follow_up["id"], user["id"])
    await post_events(api, project, temporal_client, [{"name": "order.refunded", "identifier": identifier}])
    await run_result(temporal_client, waiting["id"], user["id"])
    for name, journey in (("journey_run_order_follow_up", follow_up), ("journey_run_exit_on", waiting)):
        await save_history(temporal_client, f"journey/{journey['id']}/{user['id']}", name)


@pytest.mark.skipif(not os.environ.get("RECORD_HISTORIES"), reason="set RECORD_HISTORIES=1 to re-record")
async def test_record_admitted_runs(api, project: ProjectKeys, temporal_client, smtp: SmtpSink):
    """Runs whose first walk happened at admission: one started with a start delay (no `exit_on`) that
    then sends, and one timing its delay in the workflow until its `exit_on` event ends it."""
    campaign = await email_campaign(api, project, smtp.port, {"en": {"subject": "Hi", "text": "Later"}})
    delayed = await live_journey(api, project, {
        "entry": {"type": "entrance", "event": "trial.started", "next": "plan"},
        "plan": {"type": "gate", "rule": {"property": "user.data.plan", "op": "exists"}, "yes": "wait", "no": "done"},
        "wait": {"type": "delay", "duration": "1 second", "next": "hello"},
        "hello": {"type": "send", "campaign_id": campaign["id"], "next": "done"},
        "done": {"type": "exit"},
    })  # fmt: skip
    waiting = await live_journey(
        api, project, waiting_steps("trial.started", "2 days"), exit_on=[{"event": "trial.cancelled"}]
    )
    user = await upsert(api, project, "replay-trial", email="trial@example.com", data={"plan": "pro"})
    identifier = [{"external_id": "replay-trial"}]
    await post_events(api, project, temporal_client, [{"name": "trial.started", "identifier": identifier}])
    await run_result(temporal_client, delayed["id"], user["id"])
    await post_events(api, project, temporal_client, [{"name": "trial.cancelled", "identifier": identifier}])
    await run_result(temporal_client, waiting["id"], user["id"])
    for name, journey in (("journey_run_admitted_delayed_start", delayed), ("journey_run_admitted_exit_on", waiting)):
        await save_history(temporal_client, f"journey/{journey['id']}/{user['id']}", name)


@pytest.mark.skipif(not os.environ.get("RECORD_HISTORIES"), reason="set RECORD_HISTORIES=1 to re-record")
async def test_record_schedule_tick(api, project: ProjectKeys, temporal_client, settings):
    """A dispatcher tick that fires a recurring schedule (and sweeps anniversaries)."""
    await upsert(api, project, "replay-scheduled")
    at = datetime(2031, 1, 6, 9, tzinfo=UTC)
    body = {"name": "weekly", "identifier": [{"external_id": "replay-scheduled"}], "scheduled_at": at.isoformat(),
            "interval": "7 days"}  # fmt: skip
    assert (await api.post("/api/client/users/scheduled", json=body, headers=project.public)).status_code == 202
    handle = await temporal_client.start_workflow(
        FIRE_DUE_SCHEDULES_WORKFLOW,
        Tick(as_of=(at + timedelta(seconds=1)).isoformat()),
        id=f"schedules/fire-due/replay-{project.id}",
        task_queue=settings.temporal_task_queue,
    )
    await save_history(temporal_client, handle.id, "fire_due_schedules")


@pytest.mark.skipif(not os.environ.get("RECORD_HISTORIES"), reason="set RECORD_HISTORIES=1 to re-record")
async def test_record_list_recompute_in_lanes(api, project: ProjectKeys, temporal_client, settings):
    """An unchanged re-run of a list's own recompute over 240 users: the walk planned first (pages of
    even size), then its block pages two at a time."""
    name = "list_recompute_in_lanes"
    for n in range(240):
        await upsert(api, project, f"{name}-{n}", data={"n": n})
    lst = await create_list(api, project, {"property": "user.data.n", "op": ">=", "value": 60}, temporal_client)
    handle = await temporal_client.start_workflow(
        LIST_RECOMPUTE_WORKFLOW,
        ListRecomputeInput(project.id, lst["id"], 1, walk="blocks", page_blocks=1, lanes=2),
        id=f"list/{lst['id']}/recompute-replay",
        task_queue=settings.temporal_task_queue,
    )
    await save_history(temporal_client, handle.id, name)


@pytest.mark.skipif(not os.environ.get("RECORD_HISTORIES"), reason="set RECORD_HISTORIES=1 to re-record")
async def test_record_broadcast(api, project: ProjectKeys, temporal_client, smtp: SmtpSink):
    """A broadcast that waits for its moment, then sends to a list of two (one skipped: no address)."""
    campaign = await email_campaign(api, project, smtp.port, {"en": {"subject": "News", "text": "News"}})
    users = [await upsert(api, project, "replay-reader", email="reader@example.com"),
             await upsert(api, project, "replay-no-address")]  # fmt: skip
    audience = await static_list(api, project, users)
    send_at = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    body = {"name": "news", "campaign_id": campaign["id"], "list_id": audience["id"], "send_at": send_at}
    broadcast = (await api.post(project.admin("/broadcasts"), json=body, headers=project.secret)).json()
    await save_history(temporal_client, broadcast["workflow_id"], "broadcast")


@pytest.mark.skipif(not os.environ.get("RECORD_HISTORIES"), reason="set RECORD_HISTORIES=1 to re-record")
@pytest.mark.usefixtures("worker")
async def test_record_system_clock(temporal_client, settings):
    """Two ticks of the system clock, a second apart: schedules, the minute's sweep and list refresh."""
    handle = await temporal_client.start_workflow(
        SYSTEM_CLOCK_WORKFLOW,
        SystemClockInput(tick_seconds=1, rounds=2),
        id="tempogram/system-clock-replay",
        task_queue=settings.temporal_task_queue,
    )
    await save_history(temporal_client, handle.id, "system_clock")
