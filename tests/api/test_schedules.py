"""Schedules end to end: client API → PostgreSQL → the dispatcher workflow on Temporal → `scheduled.<name>`
on the timeline. The dispatcher's clock is set per tick (`as_of`), so months pass in milliseconds."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import distinct, func, select, update
from temporalio.client import Client

from core.config import Settings
from core.db import SessionFactory
from core.temporal import EVENT_NAME, USER_ID
from domain.events.models import Event
from domain.schedules.models import ScheduleCursor
from domain.schedules.payloads import FIRE_DUE_SCHEDULES_WORKFLOW, Tick, TickResult
from domain.users.models import User
from tests.helpers import ProjectKeys, live_journey, make_worker, run_result, runs, timeline, upsert, wait_processed

NOW = datetime.now(UTC).replace(microsecond=0)


async def tick(client: Client, task_queue: str, as_of: datetime, every_fire_a_workflow: bool = False) -> TickResult:
    """One pass of the dispatcher at `as_of`, as the `tempogram/fire-due-schedules` Schedule starts it."""
    return await client.execute_workflow(
        FIRE_DUE_SCHEDULES_WORKFLOW,
        Tick(as_of=as_of.isoformat(), batch_size=50, lanes=2, every_fire_a_workflow=every_fire_a_workflow),
        id=f"schedules/fire-due/test-{uuid.uuid4()}",
        task_queue=task_queue,
        result_type=TickResult,
    )


async def schedule(
    api: httpx.AsyncClient,
    project: ProjectKeys,
    name: str,
    external_id: str = "ada",
    owners: str = "users",
    **body: Any,
) -> httpx.Response:
    return await api.post(
        f"/api/client/{owners}/scheduled",
        json={"name": name, "identifier": [{"external_id": external_id}], **body},
        headers=project.public,
    )


async def fired(api: httpx.AsyncClient, project: ProjectKeys, user_id: str, name: str) -> list[dict[str, Any]]:
    return [e for e in reversed(await timeline(api, project, user_id)) if e["name"] == f"scheduled.{name}"]


async def user_schedule(api: httpx.AsyncClient, project: ProjectKeys, user_id: str, name: str) -> dict[str, Any]:
    response = await api.get(project.admin(f"/users/{user_id}/schedules"), headers=project.secret)
    [found] = [s for s in response.json() if s["name"] == name]
    return found


async def test_a_single_schedule_fires_once_with_its_data_and_is_then_gone(
    api, project: ProjectKeys, temporal_client, settings: Settings
):
    ada = await upsert(api, project, "ada")
    at = NOW + timedelta(hours=1)
    response = await schedule(api, project, "trial.ends", scheduledAt=at.isoformat(), data={"plan": "pro"})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["name"] == "trial.ends" and body["interval"] is None and body["data"] == {"plan": "pro"}
    assert datetime.fromisoformat(body["scheduled_at"]) == at

    assert (await tick(temporal_client, settings.temporal_task_queue, at - timedelta(seconds=1))).fired == 0
    assert await fired(api, project, ada["id"], "trial.ends") == []
    assert (await tick(temporal_client, settings.temporal_task_queue, at + timedelta(seconds=2))).fired == 1
    [event] = await fired(api, project, ada["id"], "trial.ends")
    assert event["source"] == "system"
    assert event["data"] == {
        "plan": "pro",
        "schedule_id": body["id"],
        "schedule_offset_id": body["fires"][0]["offset_id"],
        "offset": "0 minutes after",
        "fire_at": at.isoformat(),
    }
    assert (await tick(temporal_client, settings.temporal_task_queue, at + timedelta(days=1))).fired == 0
    schedules = await api.get(project.admin(f"/users/{ada['id']}/schedules"), headers=project.secret)
    assert [s["name"] for s in schedules.json()] == ["anniversary"]  # the single one is gone


async def test_monthly_schedules_keep_to_the_calendar_month_end(
    api, project: ProjectKeys, temporal_client, settings: Settings
):
    ada = await upsert(api, project, "ada")
    first = datetime(2027, 1, 31, 9, tzinfo=UTC)
    response = await schedule(api, project, "invoice", scheduled_at=first.isoformat(), interval="1 month")
    assert response.status_code == 202, response.text
    assert response.json()["interval"] == "1 month"
    for due in ("2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"):
        at = datetime.fromisoformat(f"{due}T09:00:00+00:00")
        assert (await tick(temporal_client, settings.temporal_task_queue, at + timedelta(seconds=1))).fired == 1
    assert [e["data"]["fire_at"][:10] for e in await fired(api, project, ada["id"], "invoice")] == [
        "2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30",
    ]  # fmt: skip
    invoice = await user_schedule(api, project, ada["id"], "invoice")
    assert invoice["scheduled_at"].startswith("2027-05-31T09:00:00")


async def test_upsert_replaces_timing_and_data_and_delete_stops_at_once(
    api, project: ProjectKeys, temporal_client, settings: Settings
):
    ada = await upsert(api, project, "ada")
    early, late = NOW + timedelta(hours=2), NOW + timedelta(hours=5)
    assert (await schedule(api, project, "call", scheduled_at=early.isoformat(), data={"v": 1})).status_code == 202
    replaced = await schedule(api, project, "call", scheduled_at=late.isoformat(), data={"v": 2})
    assert datetime.fromisoformat(replaced.json()["scheduled_at"]) == late
    assert (await tick(temporal_client, settings.temporal_task_queue, early + timedelta(seconds=1))).fired == 0
    await tick(temporal_client, settings.temporal_task_queue, late + timedelta(seconds=1))
    assert [e["data"]["v"] for e in await fired(api, project, ada["id"], "call")] == [2]

    weekly = await schedule(api, project, "digest", interval="7 days", start_at=(NOW + timedelta(hours=1)).isoformat())
    assert weekly.status_code == 202, weekly.text
    reference = {"name": "digest", "identifier": [{"external_id": "ada"}]}
    deleted = await api.request("DELETE", "/api/client/users/scheduled", json=reference, headers=project.public)
    assert deleted.status_code == 204
    await tick(temporal_client, settings.temporal_task_queue, NOW + timedelta(hours=1, seconds=1))
    assert await fired(api, project, ada["id"], "digest") == []
    again = await api.request("DELETE", "/api/client/users/scheduled", json=reference, headers=project.public)
    assert again.status_code == 404
    nobody = {"name": "digest", "identifier": [{"external_id": "nobody"}]}
    unknown = await api.request("DELETE", "/api/client/users/scheduled", json=nobody, headers=project.public)
    assert unknown.status_code == 404


async def test_bad_timing_is_a_400_naming_the_field(api, project: ProjectKeys):
    await upsert(api, project, "ada")
    cases = [
        ({"interval": "every tuesday"}, "interval"),
        ({"scheduled_at": "next week"}, "scheduled_at"),
        ({"scheduled_at": "2027-01-01T09:00:00"}, "scheduled_at"),  # no timezone
        ({"data": {"x": 1}}, "scheduled_at"),  # neither single nor recurring
        ({"scheduled_at": "2020-01-01T09:00:00Z"}, "scheduled_at"),  # long past, not clock skew
    ]
    for body, field in cases:
        response = await schedule(api, project, "x", **body)
        assert response.status_code == 400, (body, response.text)
        assert field in response.json()["detail"], response.json()
    unknown_user = await schedule(api, project, "x", external_id="nobody", interval="1 day")
    assert unknown_user.status_code == 404


async def test_a_scheduled_at_slightly_in_the_past_fires_at_once(
    api, project: ProjectKeys, temporal_client, settings: Settings
):
    ada = await upsert(api, project, "ada")
    skewed = datetime.now(UTC) - timedelta(minutes=2)
    response = await schedule(api, project, "welcome", scheduled_at=skewed.isoformat())
    assert datetime.fromisoformat(response.json()["scheduled_at"]) == skewed
    await tick(temporal_client, settings.temporal_task_queue, datetime.now(UTC))
    assert len(await fired(api, project, ada["id"], "welcome")) == 1


async def test_offsets_fire_before_and_after_and_an_edit_replans_every_assignment(
    api, project: ProjectKeys, temporal_client, settings: Settings
):
    ada = await upsert(api, project, "ada")
    renewal = datetime(2027, 6, 15, 12, tzinfo=UTC)
    assert (await schedule(api, project, "renewal", scheduled_at=renewal.isoformat())).status_code == 202
    offsets = [{"interval": "7 days", "direction": "before"}, {"interval": "0 minutes"},
               {"interval": "2 hours", "direction": "after"}]  # fmt: skip
    definition = await api.put(
        project.admin("/schedules/user/renewal"), json={"offsets": offsets}, headers=project.secret
    )
    assert definition.status_code == 200, definition.text
    assert definition.json()["event_name"] == "scheduled.renewal"
    await temporal_client.get_workflow_handle(f"schedule/{definition.json()['id']}/replan").result()

    planned = await user_schedule(api, project, ada["id"], "renewal")
    assert [(f["offset"], f["fire_at"][:16]) for f in planned["fires"]] == [
        ("7 days before", "2027-06-08T12:00"), ("0 minutes after", "2027-06-15T12:00"),
        ("2 hours after", "2027-06-15T14:00"),
    ]  # fmt: skip
    for at in ("2027-06-08T12:00:01", "2027-06-15T12:00:01", "2027-06-15T14:00:01"):
        assert (
            await tick(temporal_client, settings.temporal_task_queue, datetime.fromisoformat(at + "+00:00"))
        ).fired == 1
    assert [e["data"]["offset"] for e in await fired(api, project, ada["id"], "renewal")] == [
        "7 days before", "0 minutes after", "2 hours after",
    ]  # fmt: skip


async def test_pause_and_resume_in_each_mode(api, project: ProjectKeys, temporal_client, settings: Settings):
    ada = await upsert(api, project, "ada")
    start = datetime(2028, 3, 1, 8, tzinfo=UTC)
    assert (await schedule(api, project, "daily", scheduled_at=start.isoformat(), interval="1 day")).status_code == 202
    base = project.admin(f"/users/{ada['id']}/schedules/daily")

    async def run_days(first: int, last: int) -> None:
        for day in range(first, last + 1):
            await tick(temporal_client, settings.temporal_task_queue, datetime(2028, 3, day, 8, 0, 1, tzinfo=UTC))

    async def fired_days() -> list[int]:
        return [int(e["data"]["fire_at"][8:10]) for e in await fired(api, project, ada["id"], "daily")]

    await run_days(1, 2)
    paused = await api.post(f"{base}/pause", json={"mode": "after_next_interval"}, headers=project.secret)
    assert paused.status_code == 200 and paused.json()["status"] == "pausing", paused.text
    await run_days(3, 5)
    assert await fired_days() == [1, 2, 3]  # the next occurrence still fired, then nothing

    resumed = await api.post(f"{base}/resume", json={"mode": "at_next_interval"}, headers=project.secret)
    assert resumed.json()["status"] == "active"
    await run_days(6, 6)  # resumed on the 5th at real time: the original 08:00 rhythm goes on
    await api.post(f"{base}/pause", json={"mode": "immediately"}, headers=project.secret)
    await run_days(7, 8)
    assert (await fired_days())[-1] == 6

    at = datetime(2028, 3, 9, 15, 30, tzinfo=UTC)
    resumed = await api.post(f"{base}/resume", json={"mode": "immediately"}, headers=project.secret)
    assert resumed.status_code == 200
    first = datetime.fromisoformat(resumed.json()["scheduled_at"])
    assert abs(first - datetime.now(UTC)) < timedelta(minutes=1)  # fires now, then daily from now
    single = await schedule(api, project, "once", scheduled_at=at.isoformat())
    assert single.status_code == 202
    refused = await api.post(project.admin(f"/users/{ada['id']}/schedules/once/pause"), json={}, headers=project.secret)
    assert refused.status_code == 400 and "recurring" in refused.json()["detail"]


async def test_organization_schedules_fire_on_the_organization(
    api, project: ProjectKeys, temporal_client, settings: Settings
):
    org = await api.post("/api/client/organizations", json={"external_id": "acme"}, headers=project.public)
    at = NOW + timedelta(hours=3)
    response = await schedule(api, project, "billing", "acme", "organizations", scheduled_at=at.isoformat())
    assert response.status_code == 202, response.text
    await tick(temporal_client, settings.temporal_task_queue, at + timedelta(seconds=1))
    events = await api.get(project.admin(f"/organizations/{org.json()['id']}/events"), headers=project.secret)
    assert [e["name"] for e in events.json()["results"]] == ["scheduled.billing", "organization.created"]


async def test_deleting_the_user_removes_their_schedules(api, project: ProjectKeys):
    await upsert(api, project, "ada")
    await schedule(api, project, "digest", interval="1 week")
    deleted = await api.request(
        "DELETE", "/api/client/users", json={"identifier": [{"external_id": "ada"}]}, headers=project.public
    )
    assert deleted.status_code == 204
    [definition] = (await api.get(project.admin("/schedules"), headers=project.secret)).json()
    assert definition["name"] == "digest" and definition["assignments"] == 0


async def test_the_anniversary_fires_a_year_after_creation(
    api, project: ProjectKeys, temporal_client, settings: Settings, sessions: SessionFactory
):
    ada = await upsert(api, project, "ada")
    at = datetime(2029, 5, 20, 10, 30, tzinfo=UTC)
    async with sessions() as session:  # ada signed up a year before `at`; the sweep has reached just before it
        await session.execute(
            update(User).where(User.id == uuid.UUID(ada["id"])).values(created_at=at.replace(year=2028))
        )
        await session.merge(ScheduleCursor(name="anniversary", position=at - timedelta(minutes=10)))
        await session.commit()
    result = await tick(temporal_client, settings.temporal_task_queue, at + timedelta(minutes=5))
    assert result.anniversaries >= 1
    [event] = await fired(api, project, ada["id"], "anniversary")
    assert event["data"]["years"] == 1 and event["data"]["fire_at"] == at.isoformat()
    await tick(temporal_client, settings.temporal_task_queue, at + timedelta(minutes=6))
    assert len(await fired(api, project, ada["id"], "anniversary")) == 1


async def test_a_backlog_of_more_than_one_batch_fires_in_full_and_once(
    api, project: ProjectKeys, temporal_client, settings: Settings, sessions: SessionFactory
):
    """A tick fires a first batch; a full one means a backlog, claimed in lanes side by side until none is
    left (batches of 50 in two lanes here)."""
    at = NOW + timedelta(hours=9)
    rows = "external_id\n" + "".join(f"backlog-{i}\n" for i in range(130))
    imported = await api.post(
        project.admin("/users/import"), headers=project.secret, files={"file": ("users.csv", rows, "text/csv")}
    )
    assert imported.status_code == 200, imported.text
    for i in range(130):
        response = await schedule(api, project, "backlog", external_id=f"backlog-{i}", scheduled_at=at.isoformat())
        assert response.status_code == 202, response.text

    result = await tick(temporal_client, settings.temporal_task_queue, at + timedelta(seconds=1))
    await tick(temporal_client, settings.temporal_task_queue, at + timedelta(seconds=2))

    assert result.fired >= 130
    async with sessions() as session:
        fires = await session.execute(
            select(func.count(), func.count(distinct(Event.user_id))).where(
                Event.project_id == uuid.UUID(project.id), Event.name == "scheduled.backlog"
            )
        )
        assert tuple(fires.one()) == (130, 130)


async def test_schedules_fire_after_a_worker_restart(
    api, project: ProjectKeys, temporal_client, sessions: SessionFactory
):
    """Schedules live in PostgreSQL and each tick is a fresh workflow: a new worker picks up where the
    old one stopped, and nothing fires twice."""
    ada = await upsert(api, project, "ada")
    at = NOW + timedelta(hours=6)
    await schedule(api, project, "restart", scheduled_at=at.isoformat(), interval="1 hour")
    queue = f"restart-{uuid.uuid4()}"
    async with make_worker(temporal_client, sessions, queue):
        await tick(temporal_client, queue, at + timedelta(seconds=1))
    async with make_worker(temporal_client, sessions, queue):
        await tick(temporal_client, queue, at + timedelta(seconds=2))
        await tick(temporal_client, queue, at + timedelta(hours=1, seconds=1))
    assert [e["data"]["fire_at"][11:16] for e in await fired(api, project, ada["id"], "restart")] == [
        at.strftime("%H:%M"), (at + timedelta(hours=1)).strftime("%H:%M"),
    ]  # fmt: skip


async def test_a_journey_enters_seven_days_before_the_schedule(
    api, project: ProjectKeys, temporal_client, settings: Settings
):
    steps = {
        "entry": {"type": "entrance", "trigger": "scheduled", "event": "scheduled.renewal", "offset": "-7 days",
                  "data_key": "renewal", "multiple": True, "simultaneous": True, "next": "done"},
        "done": {"type": "exit"},
    }  # fmt: skip
    journey = await live_journey(api, project, steps)
    [definition] = (await api.get(project.admin("/schedules"), headers=project.secret)).json()
    assert {(o["interval"], o["direction"]) for o in definition["offsets"]} == {
        ("0 minutes", "after"), ("7 days", "before"),
    }  # fmt: skip

    ada = await upsert(api, project, "ada")
    renewal = datetime(2027, 9, 10, 9, tzinfo=UTC)
    await schedule(api, project, "renewal", scheduled_at=renewal.isoformat(), data={"plan": "pro"})
    await tick(temporal_client, settings.temporal_task_queue, renewal - timedelta(days=7) + timedelta(seconds=1))
    assert (await run_result(temporal_client, journey["id"], ada["id"]))["status"] == "completed"

    await tick(temporal_client, settings.temporal_task_queue, renewal + timedelta(seconds=1))
    events = await fired(api, project, ada["id"], "renewal")
    assert [e["data"]["offset"] for e in events] == ["7 days before", "0 minutes after"]
    await wait_processed(temporal_client, project.id, [e["id"] for e in events])
    [run] = await runs(api, project, journey["id"], ada["id"])  # the on-the-day fire is not this entrance's
    assert run["status"] == "completed"


async def test_an_anonymous_visitors_schedule_moves_to_the_user_they_turn_out_to_be(api, project: ProjectKeys):
    anonymous = [{"external_id": "visitor-1", "source": "anonymous"}]
    visitor = await api.post("/api/client/users", json={"identifier": anonymous}, headers=project.public)
    assert visitor.status_code == 200
    body = {"name": "cart.reminder", "identifier": anonymous, "scheduled_at": (NOW + timedelta(days=1)).isoformat()}
    assert (await api.post("/api/client/users/scheduled", json=body, headers=project.public)).status_code == 202
    ada = await upsert(api, project, "ada")
    both = [*anonymous, {"external_id": "ada"}]
    merged = await api.post("/api/client/users", json={"identifier": both}, headers=project.public)
    assert merged.json()["id"] == ada["id"]
    reminder = await user_schedule(api, project, ada["id"], "cart.reminder")
    assert datetime.fromisoformat(reminder["scheduled_at"]) == NOW + timedelta(days=1)


async def test_every_fire_can_be_its_own_workflow_for_the_temporal_ui(
    api, project: ProjectKeys, temporal_client, settings: Settings
):
    ada = await upsert(api, project, "ada")
    at = NOW + timedelta(hours=7)
    await schedule(api, project, "visible", scheduled_at=at.isoformat())
    await tick(temporal_client, settings.temporal_task_queue, at + timedelta(seconds=1), every_fire_a_workflow=True)
    [event] = await fired(api, project, ada["id"], "visible")
    handle = temporal_client.get_workflow_handle(f"event/{project.id}/{event['id']}")
    await handle.result()
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(EVENT_NAME) == "scheduled.visible" and attributes.get(USER_ID) == ada["id"]


async def test_lunogram_intervals_and_names_are_accepted(api, project: ProjectKeys):
    """Lunogram takes any positive PostgreSQL interval (its docs' example is "24h") and any name."""
    await upsert(api, project, "ada")
    for interval, shown in (("24h", "24 hours"), ("P1D", "1 day"), ("1h30m", "1 hour 30 minutes"),
                            ("12:00:00", "12 hours"), ("7d", "7 days")):  # fmt: skip
        response = await schedule(api, project, "renewal date", interval=interval)
        assert response.status_code == 202, response.text
        assert response.json()["name"] == "renewal date" and response.json()["interval"] == shown
    for name, status in (("é" * 245, 202), ("é" * 246, 400), ("tab\there", 400)):
        response = await schedule(api, project, name, interval="1 day")
        assert response.status_code == status, (name, response.text)
