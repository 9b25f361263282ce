import asyncio
import uuid

import httpx
import pytest
from temporalio.service import RPCError

from domain.events.payloads import ProcessEventInput
from tests.helpers import ProjectKeys, timeline, wait_processed

EVENTS = "/api/client/users/events"


async def post(api: httpx.AsyncClient, project: ProjectKeys, items: object, **headers: str) -> httpx.Response:
    return await api.post(EVENTS, json=items, headers={**project.public, **headers})


async def make_user(api: httpx.AsyncClient, project: ProjectKeys, external_id: str, data: dict) -> str:
    body = {"identifier": [{"external_id": external_id}], "data": data}
    return (await api.post("/api/client/users", json=body, headers=project.public)).json()["id"]


@pytest.mark.parametrize(
    ("item", "detail"),
    [
        ({"name": "x", "identifier": [{"external_id": "a"}], "match": {"plan": "pro"}}, "mutually exclusive"),
        ({"name": "x", "data": {}}, "one of identifier or match is required"),
        ({"name": "user.created", "identifier": [{"external_id": "a"}]}, "reserved"),
        ({"name": "scheduled.sneaky", "identifier": [{"external_id": "a"}]}, "reserved"),
        ({"identifier": [{"external_id": "a"}]}, "name"),
        ({"name": "x", "identifier": [{"external_id": "a"}], "data": [1, 2]}, "data"),
        ({"name": "x", "identifier": []}, "identifier"),
    ],
)
async def test_an_invalid_item_rejects_the_whole_request(api, project: ProjectKeys, temporal_client, item, detail):
    valid_id = str(uuid.uuid4())
    valid = {"id": valid_id, "name": "ok", "identifier": [{"external_id": "a"}]}
    response = await post(api, project, [valid, item])
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["title"] == "bad request"
    assert detail in body["detail"]
    assert "[1]" in body["detail"], "the failing item's index is named"
    with pytest.raises(RPCError):  # nothing was accepted: no workflow for the valid item
        await temporal_client.get_workflow_handle(f"event/{project.id}/{valid_id}").describe()


async def test_body_must_be_an_array(api, project: ProjectKeys):
    response = await post(api, project, {"name": "x", "identifier": [{"external_id": "a"}]})
    assert response.status_code == 400


async def test_events_are_accepted_then_recorded_with_their_data(api, project: ProjectKeys, temporal_client):
    response = await post(
        api,
        project,
        [
            {
                "name": "order.completed",
                "identifier": [{"externalId": "buyer"}],
                "data": {"order_id": "ord_1", "total": 149.99, "currency": "USD", "items": 3},
            },
            {"name": "page.viewed", "identifier": [{"external_id": "buyer"}], "data": {"path": "/pricing"}},
        ],
    )
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2 and len(body["event_ids"]) == 2
    results = await wait_processed(temporal_client, project.id, body["event_ids"])
    events = {e["name"]: e for e in await timeline(api, project, results[0]["user_id"])}
    assert events["order.completed"]["data"] == {
        "order_id": "ord_1",
        "total": 149.99,
        "currency": "USD",
        "items": 3,
    }
    assert events["order.completed"]["source"] == "client"
    assert events["order.completed"]["id"] == body["event_ids"][0]
    assert events["user.created"]["source"] == "system"


async def test_idempotency_key_reposts_are_processed_once(api, project: ProjectKeys, temporal_client):
    items = [{"name": "invoice.paid", "identifier": [{"external_id": "payer"}], "data": {"amount": 49.99}}]
    first = await post(api, project, items, **{"Idempotency-Key": "invoice-42"})
    second = await post(api, project, items, **{"Idempotency-Key": "invoice-42"})
    assert first.status_code == second.status_code == 202
    assert first.json()["event_ids"] == second.json()["event_ids"]
    [result] = await wait_processed(temporal_client, project.id, first.json()["event_ids"])
    names = [e["name"] for e in await timeline(api, project, result["user_id"])]
    assert names.count("invoice.paid") == 1

    changed = [{**items[0], "data": {"amount": 99.0}}]
    refused = await post(api, project, changed, **{"Idempotency-Key": "invoice-42"})
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Idempotency-Key: 'invoice-42' was already used")


async def test_item_ids_make_reposts_idempotent(api, project: ProjectKeys, temporal_client):
    items = [{"id": "client-evt-1", "name": "cta.clicked", "identifier": [{"external_id": "clicker"}]}]
    ids = [(await post(api, project, items)).json()["event_ids"][0] for _ in range(3)]
    assert len(set(ids)) == 1
    [result] = await wait_processed(temporal_client, project.id, ids[:1])
    names = [e["name"] for e in await timeline(api, project, result["user_id"])]
    assert names.count("cta.clicked") == 1


async def test_match_delivers_an_independent_event_to_every_matching_user(api, project: ProjectKeys, temporal_client):
    pros = [await make_user(api, project, f"pro-{i}", {"plan": "pro", "region": "eu"}) for i in range(4)]
    others = [
        await make_user(api, project, "pro-us", {"plan": "pro", "region": "us"}),
        await make_user(api, project, "free-eu", {"plan": "free", "region": "eu"}),
    ]
    item = {
        "name": "feature.announcement",
        "match": {"plan": "pro", "region": "eu"},
        "data": {"feature": "domains"},
    }
    accepted = await post(api, project, [item], **{"Idempotency-Key": "announce-1"})
    [result] = await wait_processed(temporal_client, project.id, accepted.json()["event_ids"])
    assert result["delivered"] == 4
    # A re-post (same key) and its processing deliver nothing twice.
    again = await post(api, project, [item], **{"Idempotency-Key": "announce-1"})
    await wait_processed(temporal_client, project.id, again.json()["event_ids"])

    async def announced(user_id: str) -> list[dict]:
        return [e for e in await timeline(api, project, user_id) if e["name"] == "feature.announcement"]

    for user_id in pros:  # each copy is its own event workflow, processed independently of the original
        for _ in range(100):
            if await announced(user_id):
                break
            await asyncio.sleep(0.1)
        events = await announced(user_id)
        assert len(events) == 1 and events[0]["data"] == {"feature": "domains"}
    for user_id in others:
        assert "feature.announcement" not in [e["name"] for e in await timeline(api, project, user_id)]


async def test_organization_events_by_identifier_and_match(api, project: ProjectKeys, temporal_client):
    for org, region in [("org-eu-1", "eu"), ("org-eu-2", "eu"), ("org-us", "us")]:
        await api.post(
            "/api/client/organizations",
            json={"external_id": org, "data": {"region": region}},
            headers=project.public,
        )
    response = await api.post(
        "/api/client/organizations/events",
        json=[
            {
                "name": "subscription.upgraded",
                "identifier": [{"external_id": "org-us"}],
                "data": {"seats": 100},
            },
            {"name": "compliance.update", "match": {"region": "eu"}, "data": {"regulation": "GDPR"}},
            {"name": "trial.started", "identifier": [{"external_id": "brand-new-org"}]},
        ],
        headers=project.public,
    )
    assert response.status_code == 202
    results = await wait_processed(temporal_client, project.id, response.json()["event_ids"])
    assert results[1]["delivered"] == 2
    org_us = results[0]["organization_id"]
    names = [
        e["name"]
        for e in (await api.get(project.admin(f"/organizations/{org_us}/events"), headers=project.secret)).json()[
            "results"
        ]
    ]
    assert "subscription.upgraded" in names and "compliance.update" not in names
    created = await api.get(project.admin("/organizations?external_id=brand-new-org"), headers=project.secret)
    assert created.status_code == 200, "an event for an unknown organization creates it"


async def test_event_schema_is_discovered(api, project: ProjectKeys, temporal_client):
    items = [
        {
            "name": "order.completed",
            "identifier": [{"external_id": "s1"}],
            "data": {
                "total": 10.5,
                "currency": "USD",
                "paid": True,
                "shipping": {"city": "Austin"},
                "tags": ["a"],
                "at": "2026-01-02T03:04:05Z",
            },
        },
    ]
    accepted = await post(api, project, items)
    await wait_processed(temporal_client, project.id, accepted.json()["event_ids"])
    schema = (await api.get(project.admin("/events/schema"), headers=project.secret)).json()
    [order] = [s for s in schema if s["name"] == "order.completed"]
    assert order["entity"] == "user"
    assert {(p["path"], p["type"]) for p in order["properties"]} == {
        ("data.total", "number"),
        ("data.currency", "string"),
        ("data.paid", "boolean"),
        ("data.shipping.city", "string"),
        ("data.tags", "array"),
        ("data.at", "date"),
    }


async def test_an_event_for_a_deleted_user_is_skipped_not_retried(project: ProjectKeys, temporal_client, settings):
    handle = await temporal_client.start_workflow(
        "ProcessEvent",
        ProcessEventInput(
            project_id=project.id,
            event_id=str(uuid.uuid4()),
            entity="user",
            name="late",
            user_id=str(uuid.uuid4()),
            source="system",
        ),
        id=f"event/{project.id}/late-{uuid.uuid4()}",
        task_queue=settings.temporal_task_queue,
    )
    assert (await handle.result())["user_id"] is not None


async def test_lumail_track_event(api, project: ProjectKeys, temporal_client):
    user_id = (
        await api.post(
            "/api/client/users",
            json={"identifier": [{"external_id": "lm"}], "email": "lm@example.com"},
            headers=project.public,
        )
    ).json()["id"]
    response = await api.post(
        "/api/v1/events",
        json={
            "eventType": "SUBSCRIBER_PAYMENT",
            "subscriber": "lm@example.com",
            "data": {"amount": 29.0, "product": "Pro plan"},
        },
        headers=project.public,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["event"]["eventType"] == "SUBSCRIBER_PAYMENT"
    assert body["event"]["subscriberId"] == user_id
    assert body["event"]["organizationId"] == project.id
    await wait_processed(temporal_client, project.id, [body["event"]["id"]])
    assert "SUBSCRIBER_PAYMENT" in [e["name"] for e in await timeline(api, project, user_id)]

    by_id = await api.post(
        "/api/v1/events",
        json={"eventType": "TAG_ADDED", "subscriber": user_id, "data": {"tag": "vip"}},
        headers=project.public,
    )
    assert by_id.status_code == 200

    for bad, error in [
        (
            {"eventType": "SUBSCRIBER_REFUND", "subscriber": "lm@example.com", "data": {"amount": "9"}},
            "amount",
        ),
        ({"eventType": "NOT_A_TYPE", "subscriber": "lm@example.com", "data": {}}, "eventType"),
        ({"eventType": "TAG_ADDED", "subscriber": "nobody@example.com", "data": {}}, "not found"),
        ({"eventType": "TAG_ADDED", "subscriber": "lm@example.com"}, "data"),
    ]:
        response = await api.post("/api/v1/events", json=bad, headers=project.public)
        assert response.status_code == 400, bad
        assert response.json()["success"] is False and error in response.json()["error"]


async def test_values_postgresql_cannot_store_are_rejected_up_front(api, project: ProjectKeys):
    nul = await post(api, project, [{"name": "x", "identifier": [{"external_id": "a"}], "data": {"note": "a\u0000b"}}])
    assert nul.status_code == 400 and "data.note" in nul.json()["detail"]
    nan = await api.post(
        EVENTS,
        content=b'[{"name": "x", "identifier": [{"external_id": "a"}], "data": {"score": NaN}}]',
        headers={**project.public, "Content-Type": "application/json"},
    )
    assert nan.status_code == 400 and "data.score" in nan.json()["detail"]
    user = await api.post(
        "/api/client/users", json={"identifier": [{"external_id": "nul\u0000"}]}, headers=project.public
    )
    assert user.status_code == 400
    huge = await post(
        api, project, [{"name": "x", "identifier": [{"external_id": "a"}], "data": {"blob": "x" * 300_000}}]
    )
    assert huge.status_code == 400 and "data" in huge.json()["detail"]
    long_locale = await api.post(
        "/api/client/users",
        json={"identifier": [{"external_id": "l"}], "locale": "en-" + "a" * 40},
        headers=project.public,
    )
    assert long_locale.status_code == 400 and "locale" in long_locale.json()["detail"]
