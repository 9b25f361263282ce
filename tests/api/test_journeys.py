"""Journeys end to end: API → event pipeline → journey run workflow → SMTP, on real PostgreSQL and Temporal."""

import asyncio
from datetime import UTC, datetime

import pytest
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import FailureError
from temporalio.service import RPCError

from core.temporal import SEARCH_ATTRIBUTES
from tests.helpers import (
    ProjectKeys,
    create_project,
    created,
    email_campaign,
    live_journey,
    order_follow_up,
    org_upsert,
    post_events,
    run_result,
    runs,
    stats,
    timeline,
    until,
    upsert,
    wait_processed,
    waiting_steps,
)
from tests.sinks import HttpSink, SmtpSink, body_text


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
    [bobs_run] = await runs(api, project, journey["id"], bob["id"])
    assert [visit["step_id"] for visit in bobs_run["history"]] == ["plan", "done"]
    assert bobs_run["history"][0]["next"] == "done"  # where the gate sent him: its "no" step
    # …and why: the condition, its answer, and the value it saw then.
    assert bobs_run["history"][0]["gate"] == {"condition": 'user.data.plan = "premium"', "passed": False, "saw": "free"}
    assert [e["name"] for e in await timeline(api, project, bob["id"])].count("journey.completed") == 1

    [run] = await runs(api, project, journey["id"], ada["id"])
    assert [visit["step_id"] for visit in run["history"]] == ["plan", "thanks", "remember", "wait", "done"]
    assert [visit["next"] for visit in run["history"]] == ["thanks", "remember", "wait", "done", None]
    assert run["status"] == "completed" and run["workflow_id"] == f"journey/{journey['id']}/{ada['id']}"
    profile = await api.get(project.admin(f"/users/{ada['id']}"), headers=project.secret)
    assert profile.json()["data"]["last_order_total"] == 129.5

    names = [event["name"] for event in await timeline(api, project, ada["id"])]
    for expected in ("journey.entered", "email.sent", "user.updated", "journey.completed"):
        assert names.count(expected) == 1, (expected, names)
    assert await stats(api, project, journey["id"]) == {
        "entered": 2, "active": 0, "completed": 2, "exited": 0,
        "steps": {"plan": 2, "thanks": 1, "remember": 1, "wait": 1, "done": 2}, "waiting": {}, "exited_at": {},
    }  # fmt: skip


async def test_a_template_shows_the_users_organization_and_external_id(
    api, project: ProjectKeys, temporal_client, smtp: SmtpSink
):
    campaign = await email_campaign(api, project, smtp.port, {"en": {
        "subject": "For {{ organization.name }}",
        "text": "Hi {{ user.external_id }}, {{ organization.member.role }} since {{ organization.data.founded }}",
    }})  # fmt: skip
    journey = await live_journey(api, project, {
        "entry": {"type": "entrance", "event": "invited", "next": "hello"},
        "hello": {"type": "send", "campaign_id": campaign["id"], "next": "done"},
        "done": {"type": "exit"},
    })  # fmt: skip
    user = await upsert(api, project, "olga", email="olga@example.com")
    organization = {"external_id": "acme", "name": "Acme", "data": {"founded": 1999}}
    assert (await org_upsert(api, project, organization)).status_code == 200
    member = {"organization_external_id": "acme", "user_external_id": "olga", "data": {"role": "buyer"}}
    assert (await api.post("/api/client/organizations/users", json=member, headers=project.public)).status_code == 200

    await post_events(api, project, temporal_client, [{"name": "invited", "identifier": [{"external_id": "olga"}]}])
    assert (await run_result(temporal_client, journey["id"], user["id"]))["status"] == "completed"
    [mail] = smtp.to("olga@example.com")
    assert mail["Subject"] == "For Acme"
    assert "Hi olga, buyer since 1999" in body_text(mail)


async def test_a_delay_that_renders_to_nonsense_fails_the_run_not_the_event(api, project: ProjectKeys, temporal_client):
    """A run walks its first steps in the transaction that records the entering event; a templated delay
    is left to the run's workflow, so a value that does not render to a delay cannot lose the event."""
    journey = await live_journey(api, project, {
        "entry": {"type": "entrance", "event": "trial.started", "next": "wait"},
        "wait": {"type": "delay", "duration": "{{ user.data.trial_days }} days", "next": "done"},
        "done": {"type": "exit"},
    })  # fmt: skip
    user = await upsert(api, project, "nina")  # no trial_days: the duration renders to " days"
    await post_events(
        api, project, temporal_client, [{"name": "trial.started", "identifier": [{"external_id": "nina"}]}]
    )
    names = [e["name"] for e in await timeline(api, project, user["id"])]
    assert "trial.started" in names and "journey.entered" in names
    with pytest.raises(WorkflowFailureError) as failed:
        await run_result(temporal_client, journey["id"], user["id"])
    cause = failed.value.cause
    while isinstance(cause, FailureError) and cause.cause is not None:
        cause = cause.cause
    assert "' days' is not a valid delay" in str(cause)


async def test_a_send_retried_after_a_provider_failure_keeps_the_path_the_run_took(
    api, project: ProjectKeys, temporal_client, smtp: SmtpSink
):
    """The gate and the send are one walk; the provider fails after the gate has decided. The retry
    sends once, down the same path, although the user no longer passes the gate by then."""
    campaign = await email_campaign(api, project, smtp.port, {"en": {"subject": "Thanks", "text": "Hi"}})
    journey = await live_journey(api, project, order_follow_up(campaign["id"]))
    rita = await upsert(api, project, "rita", email="rita@example.com", data={"plan": "premium"})
    smtp.refusing = True
    ordered = {"name": "order.completed", "identifier": [{"external_id": "rita"}], "data": {"total": 12}}
    await post_events(api, project, temporal_client, [ordered])
    for _ in range(200):
        if smtp.refused:
            break
        await asyncio.sleep(0.05)
    assert smtp.refused, "the send was never attempted"
    await upsert(api, project, "rita", data={"plan": "free"})
    smtp.refusing = False

    assert (await run_result(temporal_client, journey["id"], rita["id"]))["status"] == "completed"
    assert len(smtp.to("rita@example.com")) == 1
    [run] = await runs(api, project, journey["id"], rita["id"])
    assert [visit["step_id"] for visit in run["history"]] == ["plan", "thanks", "remember", "wait", "done"]


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

    # The link in Dave's message opens a page that asks first: a GET (a mail scanner following every
    # link) changes nothing. Its button, or a mail client's one-click POST to the same link in
    # List-Unsubscribe (RFC 8058), unsubscribes him from that group.
    link = next(word for word in body_text(mail).split() if "/api/unsubscribe/" in word)
    assert mail["List-Unsubscribe"] == f"<{link}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = link.removeprefix("http://localhost:8000")

    async def dave_subscriptions() -> list[tuple[str, str, bool]]:
        found = await api.get(project.admin(f"/users/{dave['id']}/subscriptions"), headers=project.secret)
        return [(s["name"], s["state"], s["explicit"]) for s in found.json()]

    page = await api.get(path)
    assert page.status_code == 200 and '<form method="post">' in page.text and "Newsletter" in page.text
    assert await dave_subscriptions() == [("Newsletter", "subscribed", False)]
    one_click = await api.post(path, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and "no longer receive Newsletter" in one_click.text
    assert await dave_subscriptions() == [("Newsletter", "unsubscribed", True)]
    assert (await api.post(path)).status_code == 200  # again: nothing more changes

    # Every change is on the user's timeline, with where it came from.
    def changes(events: list[dict]) -> list[dict]:
        return [e["data"] for e in events if e["name"] == "subscription.updated"]

    expected = {"group_id": group["id"], "group": "Newsletter", "channel": "email", "state": "unsubscribed"}
    assert changes(await timeline(api, project, dave["id"])) == [expected | {"source": "link"}]
    assert changes(await timeline(api, project, carol["id"])) == [expected | {"source": "api"}]


async def test_a_send_whose_campaign_was_deleted_is_skipped_and_the_run_goes_on(
    api, project: ProjectKeys, temporal_client, smtp: SmtpSink
):
    campaign = await email_campaign(api, project, smtp.port, {"en": {"subject": "Hi", "text": "Hello"}})
    journey = await live_journey(
        api,
        project,
        {
            "entry": {"type": "entrance", "event": "signed.up", "next": "hello"},
            "hello": {"type": "send", "campaign_id": campaign["id"], "data_key": "hello", "next": "note"},
            "note": {"type": "update", "body": '{"hello": "{{ journey.hello.status }}: {{ journey.hello.reason }}"}'},
        },
    )
    response = await api.delete(project.admin(f"/campaigns/{campaign['id']}"), headers=project.secret)
    assert response.status_code == 204, response.text
    # The SMTP sink is shared by the session's tests: an address no other test sends to.
    nadia = await upsert(api, project, "nadia", email="nadia@example.com")

    await post_events(api, project, temporal_client, [{"name": "signed.up", "identifier": [{"external_id": "nadia"}]}])

    assert (await run_result(temporal_client, journey["id"], nadia["id"]))["status"] == "completed"
    assert smtp.to("nadia@example.com") == []
    user = (await api.get(project.admin(f"/users/{nadia['id']}"), headers=project.secret)).json()
    assert user["data"]["hello"] == "skipped: the campaign no longer exists"


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


async def burst(api, project: ProjectKeys, temporal_client, name: str, external_id: str, count: int = 50) -> None:
    items = [{"name": name, "identifier": [{"external_id": external_id}]} for _ in range(count)]
    await post_events(api, project, temporal_client, items)


@pytest.mark.parametrize(
    ("multiple", "simultaneous", "runs_after_burst", "runs_after_second_burst"),
    [(False, False, 1, 1), (True, False, 1, 2), (True, True, 50, 100)],
)
async def test_reentry_rules_hold_under_a_burst_of_identical_events(
    api, project: ProjectKeys, temporal_client, multiple, simultaneous, runs_after_burst, runs_after_second_burst
):
    """Runs wait in a delay (so they are open during the burst) until `session.ended` exits them."""
    journey = await live_journey(
        api,
        project,
        {
            "entry": {"type": "entrance", "event": "page.viewed", "multiple": multiple, "simultaneous": simultaneous,
                      "next": "wait"},
            "wait": {"type": "delay", "duration": "1 hour", "next": "done"},
            "done": {"type": "exit"},
        },
        exit_on=[{"event": "session.ended"}],
    )  # fmt: skip
    user = await upsert(api, project, "eve")

    async def end_open_runs() -> list[dict]:
        await post_events(
            api, project, temporal_client, [{"name": "session.ended", "identifier": [{"external_id": "eve"}]}]
        )
        all_runs = await runs(api, project, journey["id"], user["id"])
        for run in all_runs:
            assert (await temporal_client.get_workflow_handle(run["workflow_id"]).result())["status"] == "exited"
        return all_runs

    await burst(api, project, temporal_client, "page.viewed", "eve")
    assert len(await end_open_runs()) == runs_after_burst
    await burst(api, project, temporal_client, "page.viewed", "eve")
    assert len(await end_open_runs()) == runs_after_second_burst


async def test_an_exit_on_event_ends_a_waiting_run_at_once(api, project: ProjectKeys, temporal_client):
    journey = await live_journey(
        api,
        project,
        waiting_steps("cart.abandoned", "3 days"),
        exit_on=[{"event": "order.completed", "condition": {"property": "event.data.total", "op": ">", "value": 0}}],
    )
    user = await upsert(api, project, "fay")
    await post_events(
        api, project, temporal_client, [{"name": "cart.abandoned", "identifier": [{"external_id": "fay"}]}]
    )
    # A run that times its delay in the workflow tells the Temporal UI where it stands.
    run = temporal_client.get_workflow_handle(f"journey/{journey['id']}/{user['id']}")
    await until(lambda: current_details(run), equals="at step wait")
    await post_events(api, project, temporal_client, [
        {"name": "order.completed", "identifier": [{"external_id": "fay"}], "data": {"total": 0}},  # not the condition
        {"name": "order.completed", "identifier": [{"external_id": "fay"}], "data": {"total": 12}},
    ])  # fmt: skip
    result = await run_result(temporal_client, journey["id"], user["id"])
    assert result == {"status": "exited", "last_step": "wait"}
    [run] = await runs(api, project, journey["id"], user["id"])
    assert run["exit_reason"] == "exit_on order.completed"
    names = [e["name"] for e in await timeline(api, project, user["id"])]
    assert "journey.exited" in names and "journey.completed" not in names


async def current_details(run: WorkflowHandle) -> str:
    try:
        metadata = await run.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    except RPCError:  # its first workflow task has not run yet
        return ""
    return metadata.current_details


async def test_the_event_that_enters_a_run_does_not_exit_it(api, project: ProjectKeys, temporal_client):
    """A journey may exit on the event it enters on ("until the cart changes again"): the entering
    occurrence starts the run, the next one ends it."""
    journey = await live_journey(
        api, project, waiting_steps("cart.updated", "3 days"), exit_on=[{"event": "cart.updated"}]
    )
    user = await upsert(api, project, "gil")
    cart_updated = [{"name": "cart.updated", "identifier": [{"external_id": "gil"}]}]
    await post_events(api, project, temporal_client, cart_updated)
    [run] = await runs(api, project, journey["id"], user["id"])
    handle = temporal_client.get_workflow_handle(run["workflow_id"])
    # The entering event's workflow has ended, so any exit signal it would send has been sent.
    history = await handle.fetch_history()
    assert not [e for e in history.events if e.HasField("workflow_execution_signaled_event_attributes")]
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

    await post_events(api, project, temporal_client, cart_updated)
    assert await run_result(temporal_client, journey["id"], user["id"]) == {"status": "exited", "last_step": "wait"}
    [run] = await runs(api, project, journey["id"], user["id"])
    assert run["exit_reason"] == "exit_on cart.updated"


async def test_action_gate_event_experiment_webhook_sms_balancer_and_link_steps(
    api, project: ProjectKeys, temporal_client, http_sink: HttpSink
):
    webhook_provider = await created(api, project, "/providers", {"name": "hooks", "kind": "webhook"})
    sms_provider = await created(
        api, project, "/providers",
        {"name": "sms", "kind": "sms", "config": {"url": f"{http_sink.url}/sms", "from": "+15550000000"}},
    )  # fmt: skip
    hook = await created(api, project, "/campaigns", {
        "name": "notify sales", "channel": "webhook", "provider_id": webhook_provider["id"],
        "templates": {"en": {"url": http_sink.url + "/hook", "body": {"lead": "{{ user.email }}"}}},
    })  # fmt: skip
    text = await created(api, project, "/campaigns", {
        "name": "welcome sms", "channel": "sms", "provider_id": sms_provider["id"],
        "templates": {"en": {"text": "Welcome to {{ journey.trial.plan }}, {{ user.data.name }}"}},
    })  # fmt: skip
    target = await live_journey(api, project, {
        "linked": {"type": "entrance", "trigger": "none", "next": "mark"},
        "mark": {"type": "update", "body": {"linked": "yes"}, "next": "done"},
        "done": {"type": "exit"},
    })  # fmt: skip
    journey = await live_journey(api, project, {
        "entry": {"type": "entrance", "event": "trial.started", "data_key": "trial", "next": "crm"},
        "crm": {"type": "action", "url": http_sink.url + "/crm", "data_key": "crm",
                "body": {"email": "{{ user.email }}", "plan": "{{ journey.trial.plan }}"}, "next": "hot"},
        "hot": {"type": "gate", "rule": {"property": "journey.crm.body.score", "op": ">", "value": 5},
                "yes": "qualified", "no": "out"},
        "qualified": {"type": "event", "name": "lead.qualified", "body": {"score": "{{ journey.crm.body.score }}"},
                      "next": "split"},
        "split": {"type": "experiment", "variants": [{"ratio": 1, "next": "hook"}, {"ratio": 0, "next": "out"}]},
        "hook": {"type": "send", "campaign_id": hook["id"], "data_key": "hooked", "next": "text"},
        "text": {"type": "send", "campaign_id": text["id"], "next": "spread"},
        "spread": {"type": "balancer", "paths": ["onward"], "limit": 100, "period": "minute"},
        "onward": {"type": "link", "journey_id": target["id"], "delay": "1 second"},
        "out": {"type": "exit"},
    })  # fmt: skip
    user = await upsert(api, project, "gus", email="gus@example.com", phone="+15551234567", data={"name": "Gus"})
    await post_events(api, project, temporal_client, [
        {"name": "trial.started", "identifier": [{"external_id": "gus"}], "data": {"plan": "Pro"}},
    ])  # fmt: skip

    assert await run_result(temporal_client, journey["id"], user["id"]) == {
        "status": "completed",
        "last_step": "onward",
    }
    assert (await run_result(temporal_client, target["id"], user["id"]))["status"] == "completed"

    by_path = {request.path: request for request in http_sink.requests}
    assert by_path["/crm"].body == {"email": "gus@example.com", "plan": "Pro"}
    assert by_path["/hook"].body == {"lead": "gus@example.com"}
    assert "Welcome+to+Pro%2C+Gus" in by_path["/sms"].body and "To=%2B15551234567" in by_path["/sms"].body
    [run] = await runs(api, project, journey["id"], user["id"])
    assert [v["step_id"] for v in run["history"]] == [
        "crm",
        "hot",
        "qualified",
        "split",
        "hook",
        "text",
        "spread",
        "onward",
    ]
    profile = (await api.get(project.admin(f"/users/{user['id']}"), headers=project.secret)).json()
    assert profile["data"]["linked"] == "yes"
    events = {e["name"]: e["data"] for e in await timeline(api, project, user["id"])}
    assert events["lead.qualified"] == {"score": "9"}
    assert events["webhook.executed"]["status"] == 200 and events["webhook.executed"]["success"] is True
    assert "sms.sent" in events


async def test_an_organization_event_enters_the_members_its_member_rule_selects(
    api, project: ProjectKeys, temporal_client
):
    journey = await live_journey(api, project, {
        "entry": {"type": "entrance", "event": "plan.changed", "organization": True,
                  "member_rule": {"property": "member.data.role", "op": "=", "value": "admin"}, "next": "done"},
        "done": {"type": "exit"},
    })  # fmt: skip
    admin = await upsert(api, project, "ines")
    viewer = await upsert(api, project, "jon")
    org = {"identifier": [{"external_id": "acme"}]}
    assert (await api.post("/api/client/organizations", json=org, headers=project.public)).status_code == 200
    for who, role in (("ines", "admin"), ("jon", "viewer")):
        response = await api.post(
            "/api/client/organizations/users",
            json={"organization": org, "user": {"identifier": [{"external_id": who}]}, "data": {"role": role}},
            headers=project.public,
        )
        assert response.status_code == 200, response.text
    response = await api.post(
        "/api/client/organizations/events", json=[{"name": "plan.changed", **org}], headers=project.public
    )
    assert response.status_code == 202, response.text
    await wait_processed(temporal_client, project.id, response.json()["event_ids"])
    assert (await run_result(temporal_client, journey["id"], admin["id"]))["status"] == "completed"
    assert await runs(api, project, journey["id"], viewer["id"]) == []


async def test_joining_a_list_enters_a_journey(api, project: ProjectKeys, temporal_client):
    response = await api.post(
        project.admin("/lists"),
        json={"name": "vips", "rule": {"property": "user.data.vip", "op": "=", "value": True}},
        headers=project.secret,
    )
    vips = response.json()
    journey = await live_journey(api, project, {
        "entry": {"type": "entrance", "event": "list.user.added", "data_key": "joined",
                  "condition": {"property": "event.data.list_id", "op": "=", "value": vips["id"]}, "next": "done"},
        "done": {"type": "exit"},
    })  # fmt: skip
    kim = await upsert(api, project, "kim", data={"vip": True})
    assert (await run_result(temporal_client, journey["id"], kim["id"]))["status"] == "completed"
    [run] = await runs(api, project, journey["id"], kim["id"])
    assert run["entrance_step"] == "entry"


async def test_members_found_by_a_new_lists_recompute_enter_a_journey(api, project: ProjectKeys, temporal_client):
    journey = await live_journey(api, project, {
        "entry": {"type": "entrance", "event": "list.user.added", "next": "done"},
        "done": {"type": "exit"},
    })  # fmt: skip
    lee = await upsert(api, project, "lee", data={"vip": True})
    response = await api.post(
        project.admin("/lists"),
        json={"name": "vips", "rule": {"property": "user.data.vip", "op": "=", "value": True}},
        headers=project.secret,
    )
    assert response.status_code == 201, response.text
    assert (await run_result(temporal_client, journey["id"], lee["id"]))["status"] == "completed"


async def test_a_recurring_list_entrance_enters_the_lists_members_on_its_schedule(
    api, project: ProjectKeys, temporal_client
):
    members = [await upsert(api, project, name) for name in ("nia", "ole")]
    outsider = await upsert(api, project, "pat")
    static = await created(api, project, "/lists", {"name": "beta testers", "kind": "static"})
    for user in members:
        response = await api.put(project.admin(f"/lists/{static['id']}/users/{user['id']}"), headers=project.secret)
        assert response.status_code in (200, 204), response.text
    journey = await live_journey(api, project, {
        "weekly": {"type": "entrance", "trigger": "schedule", "list_id": static["id"], "interval": "7 days",
                   "multiple": True, "data_key": "batch", "next": "done"},
        "done": {"type": "exit"},
    })  # fmt: skip

    schedule = temporal_client.get_schedule_handle(f"journey/{journey['id']}/entrance/weekly")
    await schedule.trigger()  # as if a week had passed
    for user in members:
        assert (await run_result(temporal_client, journey["id"], user["id"]))["status"] == "completed"
    assert await runs(api, project, journey["id"], outsider["id"]) == []

    response = await api.post(project.admin(f"/journeys/{journey['id']}/pause"), headers=project.secret)
    assert response.status_code == 200, response.text
    with pytest.raises(RPCError):
        await schedule.describe()  # pausing the journey removed its recurring entrance


async def test_gates_count_visited_steps_and_events_since_the_run_entered(api, project: ProjectKeys, temporal_client):
    returning = await live_journey(api, project, {
        "entry": {"type": "entrance", "event": "order.completed", "multiple": True, "next": "tag"},
        "tag": {"type": "update", "body": {"orders_seen": True}, "next": "again"},
        "again": {"type": "gate", "rule": {"all": [
            {"visited_step": "tag", "count": {"op": "=", "value": 1}},
            {"visited_step": "tag", "scope": "journey", "count": {"op": ">=", "value": 2}},
        ]}, "yes": "loyal", "no": "done"},
        "loyal": {"type": "update", "body": {"returning": True}, "next": "done"},
        "done": {"type": "exit"},
    })  # fmt: skip
    browsing = await live_journey(api, project, {
        "entry": {"type": "entrance", "event": "session.started", "next": "wait"},
        "wait": {"type": "delay", "duration": "3 seconds", "next": "viewed"},
        "viewed": {"type": "gate", "rule": {"event": "cart.viewed", "within": "since_entered",
                                            "count": {"op": "=", "value": 2}}, "yes": "mark", "no": "done"},
        "mark": {"type": "update", "body": {"viewed_since_entering": True}, "next": "done"},
        "done": {"type": "exit"},
    })  # fmt: skip
    user = await upsert(api, project, "vera", data={})
    who = [{"external_id": "vera"}]

    async def profile() -> dict:
        return (await api.get(project.admin(f"/users/{user['id']}"), headers=project.secret)).json()["data"]

    await post_events(api, project, temporal_client, [{"name": "order.completed", "identifier": who}])
    await run_result(temporal_client, returning["id"], user["id"])
    assert "returning" not in await profile()  # the first run: one visit of `tag` in the journey
    await post_events(api, project, temporal_client, [{"name": "order.completed", "identifier": who}])
    await run_result(temporal_client, returning["id"], user["id"], sequence=2)
    assert (await profile())["returning"] is True

    # Exactly two cart views since entering: the one before does not count.
    viewed = {"name": "cart.viewed", "identifier": who}
    await post_events(api, project, temporal_client, [viewed])
    await post_events(api, project, temporal_client, [{"name": "session.started", "identifier": who}])
    await post_events(api, project, temporal_client, [viewed, viewed])
    await run_result(temporal_client, browsing["id"], user["id"])
    assert (await profile())["viewed_since_entering"] is True


async def test_visited_step_and_since_entered_are_for_journey_gates_only(api, project: ProjectKeys):
    for rule, where in (
        ({"visited_step": "tag"}, "rule.visited_step"),
        ({"event": "cart.viewed", "within": "since_entered"}, "rule.within"),
    ):
        response = await api.post(project.admin("/lists"), json={"name": "x", "rule": rule}, headers=project.secret)
        assert response.status_code == 400, response.text
        assert where in response.text


async def test_a_monthly_list_entrance_fires_on_its_calendar_day(api, project: ProjectKeys, temporal_client):
    static = await created(api, project, "/lists", {"name": "members", "kind": "static"})

    def entrance(interval: str, start_at: str | None) -> dict:
        return {
            "monthly": {"type": "entrance", "trigger": "schedule", "list_id": static["id"], "interval": interval,
                        "multiple": True, **({"start_at": start_at} if start_at else {}), "next": "done"},
            "done": {"type": "exit"},
        }  # fmt: skip

    journey = await live_journey(api, project, entrance("1 month", "2027-01-15T09:30:00Z"))
    described = await temporal_client.get_schedule_handle(f"journey/{journey['id']}/entrance/monthly").describe()
    assert described.info.next_action_times[:3] == [
        datetime(2027, 1, 15, 9, 30, tzinfo=UTC), datetime(2027, 2, 15, 9, 30, tzinfo=UTC),
        datetime(2027, 3, 15, 9, 30, tzinfo=UTC),
    ]  # fmt: skip
    quarterly = await live_journey(api, project, entrance("3 months", "2027-02-01T00:00:00Z"))
    described = await temporal_client.get_schedule_handle(f"journey/{quarterly['id']}/entrance/monthly").describe()
    assert [t.month for t in described.info.next_action_times[:3]] == [2, 5, 8]

    for interval, start_at, field in (
        ("5 months", "2027-01-15T09:30:00Z", "interval"),
        ("1 month", None, "start_at"),
        ("1 year", "2027-01-31T09:30:00Z", "start_at"),
    ):
        body = {"name": "bad", "steps": entrance(interval, start_at)}
        response = await api.post(project.admin("/journeys"), json=body, headers=project.secret)
        assert response.status_code == 400, response.text
        assert f"steps.monthly.{field}" in response.text


async def test_operators_find_runs_and_events_by_search_attributes(api, project: ProjectKeys, temporal_client):
    journey = await live_journey(api, project, {
        "entry": {"type": "entrance", "event": "trial.started", "next": "check"},
        "check": {"type": "gate", "rule": {"property": "user.data.plan", "op": "exists"}, "yes": "wait", "no": "wait"},
        "wait": {"type": "delay", "duration": "2 days", "next": "done"},
        "done": {"type": "exit"},
    })  # fmt: skip
    known = await upsert(api, project, "vera", data={"plan": "pro"})
    response = await api.post("/api/client/users/events", headers=project.public, json=[
        {"name": "trial.started", "identifier": [{"external_id": "vera"}]},
        {"name": "trial.started", "identifier": [{"external_id": "walt-is-new"}]},
    ])  # fmt: skip
    known_event, new_event = response.json()["event_ids"]
    [_, created_user] = await wait_processed(temporal_client, project.id, [known_event, new_event])

    async def attributes(workflow_id: str) -> dict[str, object]:
        described = await temporal_client.get_workflow_handle(workflow_id).describe()
        ours = {key.name for key in SEARCH_ATTRIBUTES}
        return {pair.key.name: pair.value for pair in described.typed_search_attributes if pair.key.name in ours}

    # Each event's workflow names its project, event and user — a new user's too, once it exists.
    for event_id, user_id in ((known_event, known["id"]), (new_event, created_user["user_id"])):
        assert await attributes(f"event/{project.id}/{event_id}") == {
            "ProjectId": project.id, "EventName": "trial.started", "UserId": user_id,
        }  # fmt: skip
    # In the Temporal UI's list, an event reads as its name and whom it is about.
    described = await temporal_client.get_workflow_handle(f"event/{project.id}/{known_event}").describe()
    assert await described.static_summary() == "trial.started · vera"
    # A run shows the step it waits at.
    run_id = f"journey/{journey['id']}/{known['id']}"
    for _ in range(100):
        if (await attributes(run_id)).get("JourneyStep") == "wait":
            break
        await asyncio.sleep(0.05)
    assert await attributes(run_id) == {
        "ProjectId": project.id, "UserId": known["id"], "JourneyId": journey["id"], "JourneyStep": "wait",
    }  # fmt: skip
    # In the UI's list a run reads as its journey's name, its user's external id and its entrance.
    run = temporal_client.get_workflow_handle(run_id)
    assert await (await run.describe()).static_summary() == "journey · vera · from entry"
    # Its workflow sleeps until the delay is over (nothing to query yet): its details say so.
    assert await (await run.describe()).static_details() == "waits at step wait until the delay is over"
    new_run = temporal_client.get_workflow_handle(f"journey/{journey['id']}/{created_user['user_id']}")
    assert await (await new_run.describe()).static_summary() == "journey · walt-is-new · from entry"
    # The console's counts: both users wait at the delay now; the runs standing there, by step.
    assert (await stats(api, project, journey["id"]))["waiting"] == {"wait": 2}
    at_wait = await api.get(
        project.admin(f"/journeys/{journey['id']}/runs"), params={"step": "wait"}, headers=project.secret
    )
    assert sorted(r["user_id"] for r in at_wait.json()["results"]) == sorted([known["id"], created_user["user_id"]])
    at_gate = await api.get(
        project.admin(f"/journeys/{journey['id']}/runs"), params={"step": "check"}, headers=project.secret
    )
    assert at_gate.json()["results"] == []
    query = f"JourneyId = '{journey['id']}' AND UserId = '{known['id']}'"
    for _ in range(100):  # visibility follows the run shortly after
        if found := [w.id async for w in temporal_client.list_workflows(query)]:
            break
        await asyncio.sleep(0.05)
    assert found == [run_id]


async def test_references_into_another_project_or_nowhere_are_refused_naming_the_step(
    api, project: ProjectKeys, smtp: SmtpSink
):
    other = await create_project(api, "other")
    foreign_campaign = await email_campaign(api, other, smtp.port, {"en": {"subject": "Hi", "text": "Hi"}})
    foreign_journey = await created(api, other, "/journeys", {"name": "j", "steps": waiting_steps("x", "1 day")})
    foreign_list = (
        await api.post(other.admin("/lists"), json={"name": "l", "kind": "static"}, headers=other.secret)
    ).json()
    entry = {"type": "entrance", "event": "go", "next": "step"}
    for step, named in (
        ({"type": "send", "campaign_id": foreign_campaign["id"]}, "steps.step.campaign_id: no campaign"),
        ({"type": "send", "campaign_id": "not-an-id"}, "steps.step.campaign_id: no campaign"),
        ({"type": "link", "journey_id": foreign_journey["id"], "delay": "1 hour"}, "steps.step.journey_id: no journey"),
        ({"type": "gate", "rule": {"in_list": foreign_list["id"]}, "yes": None}, "steps.step.rule.in_list: no list"),
    ):
        body = {"name": "refs", "steps": {"entry": entry, "step": step}}
        response = await api.post(project.admin("/journeys"), json=body, headers=project.secret)
        assert response.status_code == 400, response.text
        assert response.json()["detail"].startswith(named), response.json()

    response = await api.post(
        project.admin("/lists"), json={"name": "l", "rule": {"in_list": foreign_list["id"]}}, headers=project.secret
    )
    assert response.status_code == 400 and response.json()["detail"].startswith("rule.in_list: no list")

    # A draft saved while its campaign existed cannot be published once the campaign is gone.
    campaign = await email_campaign(api, project, smtp.port, {"en": {"subject": "Hi", "text": "Hi"}})
    steps = {"entry": entry, "step": {"type": "send", "campaign_id": campaign["id"]}}
    journey = await created(api, project, "/journeys", {"name": "refs", "steps": steps})
    await api.delete(project.admin(f"/campaigns/{campaign['id']}"), headers=project.secret)
    response = await api.post(project.admin(f"/journeys/{journey['id']}/publish"), headers=project.secret)
    assert response.status_code == 400 and "steps.step.campaign_id: no campaign" in response.json()["detail"]


async def test_a_chosen_user_is_put_into_a_live_journey_by_hand(api, project: ProjectKeys, temporal_client):
    steps = {
        "entry": {"type": "entrance", "event": "never.sent", "next": "wait"},
        "wait": {"type": "delay", "duration": "3 days", "next": "done"},
        "done": {"type": "exit"},
    }
    draft = await created(api, project, "/journeys", {"name": "by hand", "steps": steps})
    user = await upsert(api, project, "pushed")
    runs_url = project.admin(f"/journeys/{draft['id']}/runs")
    not_live = await api.post(runs_url, json={"user_id": user["id"]}, headers=project.secret)
    assert not_live.status_code == 409 and "publish" in not_live.json()["detail"]
    await api.post(project.admin(f"/journeys/{draft['id']}/publish"), headers=project.secret)

    entered = await api.post(runs_url, json={"user_id": user["id"]}, headers=project.secret)
    assert entered.status_code == 201, entered.text
    assert entered.json()["workflow_id"] == f"journey/{draft['id']}/{user['id']}"
    await until(lambda: stats(api, project, draft["id"]), equals={
        "entered": 1, "active": 1, "completed": 0, "exited": 0, "steps": {"wait": 1}, "waiting": {"wait": 1},
        "exited_at": {},
    })  # fmt: skip
    described = await temporal_client.get_workflow_handle(entered.json()["workflow_id"]).describe()
    assert described.status == WorkflowExecutionStatus.RUNNING
    # Its entrance lets a user in once: a second push is refused, as a second event would be.
    again = await api.post(runs_url, json={"user_id": user["id"]}, headers=project.secret)
    assert again.status_code == 409 and "re-entry" in again.json()["detail"]
    for body, field in (({"user_id": user["id"], "entrance": "nope"}, "entrance"),
                        ({"user_id": "not-an-id"}, "user_id")):  # fmt: skip
        refused = await api.post(runs_url, json=body, headers=project.secret)
        assert refused.status_code == 400 and field in refused.json()["detail"]
    unknown = await api.post(runs_url, json={"user_id": "00000000-0000-0000-0000-000000000000"}, headers=project.secret)
    assert unknown.status_code == 404


async def test_versions_are_listed_with_the_runs_that_keep_them(api, project: ProjectKeys, temporal_client):
    journey = await live_journey(api, project, waiting_steps("plan.started", "3 days"))
    await upsert(api, project, "early")
    await post_events(
        api, project, temporal_client, [{"name": "plan.started", "identifier": [{"external_id": "early"}]}]
    )
    changed = waiting_steps("plan.started", "5 days")
    await api.put(project.admin(f"/journeys/{journey['id']}"), json={"name": "journey", "steps": changed},
                  headers=project.secret)  # fmt: skip
    await api.post(project.admin(f"/journeys/{journey['id']}/publish"), headers=project.secret)
    listed = (await api.get(project.admin(f"/journeys/{journey['id']}/versions"), headers=project.secret)).json()
    assert [(v["version"], v["runs"], v["open_runs"]) for v in listed] == [(2, 0, 0), (1, 1, 1)]
    assert listed[0]["steps"]["wait"]["duration"] == "5 days" and listed[1]["steps"]["wait"]["duration"] == "3 days"


async def test_the_runs_waiting_at_a_step_are_skipped_on_or_exited_through_temporal(
    api, project: ProjectKeys, temporal_client
):
    """Without `exit_on`, a run admitted into a delay starts with a Temporal start delay (its first
    workflow task held back): the bulk actions must wake those too."""
    journey = await live_journey(api, project, waiting_steps("trial.ended", "30 days"))
    users = [await upsert(api, project, name) for name in ("sky", "lee", "kim")]
    await post_events(api, project, temporal_client, [
        {"name": "trial.ended", "identifier": [{"external_id": u["identifier"][0]["external_id"]}]} for u in users
    ])  # fmt: skip
    await until(lambda: stats(api, project, journey["id"]), equals={
        "entered": 3, "active": 3, "completed": 0, "exited": 0, "steps": {"wait": 3}, "waiting": {"wait": 3},
        "exited_at": {},
    })  # fmt: skip
    base = project.admin(f"/journeys/{journey['id']}/steps")
    handle = temporal_client.get_workflow_handle(f"journey/{journey['id']}/{users[0]['id']}")
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

    skipped = await api.post(f"{base}/wait/skip", headers=project.secret)
    assert skipped.status_code == 200, skipped.text
    assert skipped.json() == {"signalled": 3, "more": False}
    await until(lambda: stats(api, project, journey["id"]), equals={
        "entered": 3, "active": 0, "completed": 3, "exited": 0, "steps": {"wait": 3, "done": 3}, "waiting": {},
        "exited_at": {},
    })  # fmt: skip
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    # Nothing waits there now: nothing is signalled.
    assert (await api.post(f"{base}/wait/skip", headers=project.secret)).json() == {"signalled": 0, "more": False}

    other = await live_journey(api, project, waiting_steps("trial.extended", "30 days"))
    await post_events(api, project, temporal_client, [
        {"name": "trial.extended", "identifier": [{"external_id": "lee"}]},
    ])  # fmt: skip
    await until(lambda: stats(api, project, other["id"]), equals={
        "entered": 1, "active": 1, "completed": 0, "exited": 0, "steps": {"wait": 1}, "waiting": {"wait": 1},
        "exited_at": {},
    })  # fmt: skip
    exited = await api.post(project.admin(f"/journeys/{other['id']}/steps/wait/exit"), headers=project.secret)
    assert exited.json() == {"signalled": 1, "more": False}
    await until(lambda: stats(api, project, other["id"]), equals={
        "entered": 1, "active": 0, "completed": 0, "exited": 1, "steps": {"wait": 1}, "waiting": {},
        "exited_at": {"wait": 1},
    })  # fmt: skip
    [run] = await runs(api, project, other["id"], users[1]["id"])
    assert run["status"] == "exited" and run["exit_reason"].startswith("exited at wait by key default")


async def test_a_journey_tried_on_a_user_shows_their_path_and_each_gates_reasons_sending_nothing(
    api, project: ProjectKeys, smtp: SmtpSink
):
    campaign = await email_campaign(api, project, smtp.port, {"en": {"subject": "Thanks", "text": "Thanks"}})
    steps = order_follow_up(campaign["id"])
    steps["entry"]["condition"] = {"property": "event.data.total", "op": ">=", "value": 20}
    journey = await created(api, project, "/journeys", {"name": "Order follow-up", "steps": steps})  # a draft
    ada = await upsert(api, project, "ada", email="ada.tried@example.com", data={"plan": "premium"})
    bob = await upsert(api, project, "bob", email="bob@example.com", data={"plan": "free"})
    url = project.admin(f"/journeys/{journey['id']}/trial")

    async def trial(user: dict, **body) -> dict:
        response = await api.post(url, json={"user_id": user["id"], **body}, headers=project.secret)
        assert response.status_code == 200, response.text
        return response.json()

    tried = await trial(ada, data={"order": {"total": 129.5}})
    assert tried["enters"] is True and tried["ends"] == "The run completes."
    assert [s["step_id"] for s in tried["steps"]] == ["entry", "plan", "thanks", "remember", "wait", "done"]
    entry, plan, thanks, remember, wait, _ = tried["steps"]
    assert entry["gate"] == {"condition": "event.data.total >= 20", "passed": True, "saw": 129.5}
    assert plan["gate"] == {"condition": 'user.data.plan = "premium"', "passed": True, "saw": "premium"}
    assert thanks["says"] == "Would send the campaign follow-up (email) to ada.tried@example.com."
    assert remember["says"] == 'Updates the user\'s data with {"last_order_total": 129.5}.'
    assert wait["says"].startswith("Waits until ")

    # Bob's plan sends him to the exit; unsaved edits are tried as they stand.
    tried = await trial(bob, data={"order": {"total": 129.5}})
    assert [s["step_id"] for s in tried["steps"]] == ["entry", "plan", "done"]
    assert tried["steps"][1]["gate"]["saw"] == "free" and tried["steps"][1]["next"] == "done"
    steps["plan"]["rule"]["value"] = "free"
    tried = await trial(bob, steps=steps, data={"order": {"total": 129.5}})
    assert tried["steps"][1]["gate"]["passed"] is True and tried["steps"][2]["step_id"] == "thanks"

    # A small order does not enter: the entrance's condition says why.
    tried = await trial(ada, data={"order": {"total": 5}})
    assert tried["enters"] is False and tried["ends"] == "The user would not enter."
    assert tried["steps"][0]["gate"]["saw"] == 5 and len(tried["steps"]) == 1

    # Nothing was sent, changed or started.
    assert smtp.to("ada.tried@example.com") == []
    profile = await api.get(project.admin(f"/users/{ada['id']}"), headers=project.secret)
    assert "last_order_total" not in profile.json()["data"]
    assert await runs(api, project, journey["id"], ada["id"]) == []

    bad = await api.post(url, json={"user_id": ada["id"], "steps": {"entry": {"type": "entrance", "next": "gone"}}},
                         headers=project.secret)  # fmt: skip
    assert bad.status_code == 400 and "steps.entry" in bad.text
    missing = await api.post(url, json={"user_id": journey["id"]}, headers=project.secret)
    assert missing.status_code == 404


async def test_the_counts_follow_runs_entering_moving_ending_and_users_deleted(
    api, project: ProjectKeys, temporal_client
):
    journey = await live_journey(api, project, {
        "entry": {"type": "entrance", "event": "joined", "next": "wait"},
        "wait": {"type": "delay", "duration": "1 hour", "next": "done"},
        "done": {"type": "exit"},
    }, exit_on=[{"event": "left"}])  # fmt: skip
    for name in ("kim", "lee", "max"):
        await upsert(api, project, name)
        await post_events(api, project, temporal_client, [{"name": "joined", "identifier": [{"external_id": name}]}])
    waiting = {
        "entered": 3,
        "active": 3,
        "completed": 0,
        "exited": 0,
        "steps": {"wait": 3},
        "waiting": {"wait": 3},
        "exited_at": {},
    }
    await until(lambda: stats(api, project, journey["id"]), equals=waiting)

    # Lee leaves (an exit signal ends the run); Max's account is deleted (the run goes with it).
    await post_events(api, project, temporal_client, [{"name": "left", "identifier": [{"external_id": "lee"}]}])
    gone = await api.request("DELETE", "/api/client/users", json={"identifier": [{"external_id": "max"}]},
                             headers=project.secret)  # fmt: skip
    assert gone.status_code == 204
    await until(lambda: stats(api, project, journey["id"]), equals={
        "entered": 2, "active": 1, "completed": 0, "exited": 1, "steps": {"wait": 2}, "waiting": {"wait": 1},
        "exited_at": {"wait": 1},
    })  # fmt: skip
