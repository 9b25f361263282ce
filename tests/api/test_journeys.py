"""Journeys end to end: API → event pipeline → journey run workflow → SMTP, on real PostgreSQL and Temporal."""

from collections.abc import Iterator

import pytest

from tests.api.test_lists import post_events, upsert
from tests.conftest import ProjectKeys, timeline
from tests.journeys import created, email_campaign, live_journey, run_result, runs, stats
from tests.sinks import SmtpSink, body_text


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def order_follow_up(campaign_id: str) -> dict:
    return {
        "entry": {"type": "entrance", "trigger": "event", "event": "order.completed", "data_key": "order",
                  "next": "plan"},
        "plan": {"type": "gate", "rule": {"property": "user.data.plan", "op": "=", "value": "premium"},
                 "yes": "thanks", "no": "done"},
        "thanks": {"type": "send", "campaign_id": campaign_id, "data_key": "thanks", "next": "remember"},
        "remember": {"type": "update", "body": '{"last_order_total": {{ journey.order.total }}}', "next": "wait"},
        "wait": {"type": "delay", "duration": "1 second", "next": "done"},
        "done": {"type": "exit"},
    }  # fmt: skip


async def test_the_order_follow_up_journey_sends_a_personalised_email_once(
    api, project: ProjectKeys, temporal_client, smtp: SmtpSink
):
    campaign = await email_campaign(
        api,
        project,
        smtp.port,
        {"en": {"subject": "Thanks, {{ user.data.first_name }}!",
                "html": "<p>Your order: {{ journey.order.total }} USD</p>"}},
    )  # fmt: skip
    journey = await live_journey(api, project, order_follow_up(campaign["id"]))
    ada = await upsert(api, project, "ada", email="ada@example.com", data={"plan": "premium", "first_name": "Ada"})
    bob = await upsert(api, project, "bob", email="bob@example.com", data={"plan": "free", "first_name": "Bob"})

    for user in ("ada", "bob"):
        await post_events(
            api, project, temporal_client,
            [{"name": "order.completed", "identifier": [{"external_id": user}], "data": {"total": 129.5}}],
        )  # fmt: skip
    assert (await run_result(temporal_client, journey["id"], ada["id"]))["status"] == "completed"
    assert (await run_result(temporal_client, journey["id"], bob["id"]))["status"] == "completed"

    [mail] = smtp.to("ada@example.com")
    assert mail["Subject"] == "Thanks, Ada!"
    assert "Your order: 129.5 USD" in body_text(mail)
    assert smtp.to("bob@example.com") == []  # the gate sent Bob straight to the exit

    [run] = await runs(api, project, journey["id"], ada["id"])
    assert [visit["step_id"] for visit in run["history"]] == ["plan", "thanks", "remember", "wait", "done"]
    assert run["status"] == "completed" and run["workflow_id"] == f"journey/{journey['id']}/{ada['id']}"
    profile = await api.get(project.admin(f"/users/{ada['id']}"), headers=project.secret)
    assert profile.json()["data"]["last_order_total"] == 129.5

    names = [event["name"] for event in await timeline(api, project, ada["id"])]
    for expected in ("journey.entered", "email.sent", "user.updated", "journey.completed"):
        assert names.count(expected) == 1, (expected, names)
    assert await stats(api, project, journey["id"]) == {
        "entered": 2, "active": 0, "completed": 2, "exited": 0,
        "steps": {"plan": 2, "thanks": 1, "remember": 1, "wait": 1, "done": 2},
    }  # fmt: skip


async def test_an_unsubscribed_user_is_never_sent_to_and_the_skip_says_why(
    api, project: ProjectKeys, temporal_client, smtp: SmtpSink
):
    group = await created(api, project, "/subscriptions", {"name": "Newsletter", "channel": "email"})
    campaign = await email_campaign(
        api,
        project,
        smtp.port,
        {"en": {"subject": "News", "text": "Hello. Unsubscribe: {{ unsubscribe_url }}"}},
        group_id=group["id"],
    )
    journey = await live_journey(
        api,
        project,
        {
            "entry": {"type": "entrance", "event": "signed.up", "next": "news"},
            "news": {"type": "send", "campaign_id": campaign["id"], "data_key": "news"},
        },
    )
    carol = await upsert(api, project, "carol", email="carol@example.com")
    dave = await upsert(api, project, "dave", email="dave@example.com")
    response = await api.put(
        project.admin(f"/users/{carol['id']}/subscriptions"),
        json={"group_id": group["id"], "state": "unsubscribed"},
        headers=project.secret,
    )
    assert response.status_code == 200, response.text

    await post_events(api, project, temporal_client, [
        {"name": "signed.up", "identifier": [{"external_id": "carol"}]},
        {"name": "signed.up", "identifier": [{"external_id": "dave"}]},
    ])  # fmt: skip
    await run_result(temporal_client, journey["id"], carol["id"])
    await run_result(temporal_client, journey["id"], dave["id"])

    assert smtp.to("carol@example.com") == []
    [mail] = smtp.to("dave@example.com")
    messages = (await api.get(project.admin(f"/users/{carol['id']}/messages"), headers=project.secret)).json()
    assert [(m["status"], m["reason"]) for m in messages] == [("skipped", "unsubscribed from Newsletter")]

    # The one-click link in Dave's message unsubscribes him from that group.
    link = next(word for word in body_text(mail).split() if "/api/unsubscribe/" in word)
    assert (await api.get(link.removeprefix("http://localhost:8000"))).status_code == 200
    subscriptions = (await api.get(project.admin(f"/users/{dave['id']}/subscriptions"), headers=project.secret)).json()
    assert [(s["name"], s["state"], s["explicit"]) for s in subscriptions] == [("Newsletter", "unsubscribed", True)]


async def test_a_journey_that_is_not_a_valid_graph_is_rejected_naming_the_step(api, project: ProjectKeys):
    cases = {
        "steps.a: next step 'nowhere' does not exist": {
            "e": {"type": "entrance", "event": "x", "next": "a"},
            "a": {"type": "gate", "rule": {"property": "user.data.x", "op": "exists"}, "yes": "nowhere"},
        },
        "steps.a.type": {"e": {"type": "entrance", "event": "x", "next": "a"}, "a": {"type": "teleport"}},
        "steps.a: is on a cycle without a delay step": {
            "e": {"type": "entrance", "event": "x", "next": "a"},
            "a": {"type": "update", "body": "{}", "next": "b"},
            "b": {"type": "gate", "rule": {"property": "user.data.x", "op": "exists"}, "yes": "a", "no": "a"},
        },
        "steps.a.body: the template does not parse": {
            "e": {"type": "entrance", "event": "x", "next": "a"},
            "a": {"type": "update", "body": '{"x": "{{ user.data.name "}'},
        },
        "steps.a.rule.property": {
            "e": {"type": "entrance", "event": "x", "next": "a"},
            "a": {"type": "gate", "rule": {"property": "plan", "op": "=", "value": 1}},
        },
    }
    for detail, steps in cases.items():
        response = await api.post(
            project.admin("/journeys"), json={"name": "bad", "steps": steps}, headers=project.secret
        )
        assert response.status_code == 400, response.text
        assert response.json()["detail"].startswith(detail), response.json()
