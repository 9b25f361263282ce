import asyncio
from collections.abc import Awaitable, Callable

import psycopg
import pytest
from sqlalchemy import text
from temporalio.service import RPCError

from domain.lists.payloads import LIST_RECOMPUTE_WORKFLOW, ListRecomputeInput
from lifecycle.lists import start_list_recompute
from tests.helpers import (
    ProjectKeys,
    create_list,
    member_ids,
    post_events,
    static_list,
    timeline,
    upsert,
    wait_processed,
)


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 20) -> None:
    for _ in range(int(seconds / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached")


async def test_creating_a_dynamic_list_recomputes_it_as_a_workflow(api, project: ProjectKeys, temporal_client):
    premium = await upsert(api, project, "p1", data={"plan": "premium", "seats": 10})
    await upsert(api, project, "f1", data={"plan": "free", "seats": 10})
    rule = {
        "all": [
            {"property": "user.data.plan", "op": "=", "value": "premium"},
            {"property": "user.data.seats", "op": ">=", "value": 5},
        ]
    }
    created = await create_list(api, project, rule, temporal_client)
    assert created["rule_summary"] == '(user.data.plan = "premium" AND user.data.seats >= 5)'

    shown = (await api.get(project.admin(f"/lists/{created['id']}"), headers=project.secret)).json()
    assert shown["member_count"] == 1
    assert shown["recompute"]["state"] == "idle"
    # The users' own user.created events may have added the member in real time before the recompute did.
    assert shown["recompute"]["progress"]["scanned"] == 2
    assert shown["recompute"]["progress"]["removed"] == 0
    assert await member_ids(api, project, created["id"]) == {premium["id"]}
    added = [e for e in await timeline(api, project, premium["id"]) if e["name"] == "list.user.added"]
    assert [e["data"] for e in added] == [{"list_id": created["id"]}]
    # Nothing listens for this list's membership events: they are complete once written (timeline and
    # schema), and no dispatcher workflow starts pipelines for them.
    with pytest.raises(RPCError):
        await temporal_client.get_workflow_handle(f"list/{created['id']}/dispatch").describe()
    schema = (await api.get(project.admin("/events/schema"), headers=project.secret)).json()
    assert {"data.list_id"} <= {p["path"] for s in schema if s["name"] == "list.user.added" for p in s["properties"]}

    # Re-running the recompute changes nothing and emits nothing.

    handle = temporal_client.get_workflow_handle(f"list/{created['id']}/recompute")
    await start_list_recompute(temporal_client, (await handle.describe()).task_queue, project.id, created["id"], 1)
    rerun = await handle.result()
    assert rerun["added"] == 0 and rerun["removed"] == 0
    assert len([e for e in await timeline(api, project, premium["id"]) if e["name"] == "list.user.added"]) == 1


@pytest.mark.parametrize("walk", ["blocks", "ids"])
async def test_a_recompute_walks_every_user_page_by_page(api, project: ProjectKeys, temporal_client, sessions, walk):
    users = await asyncio.gather(*(upsert(api, project, f"walker-{n}", data={"n": n}) for n in range(150)))
    rule = {"property": "user.data.n", "op": ">=", "value": 20}
    created = await create_list(api, project, rule, temporal_client)
    should = {user["id"] for user in users if user["data"]["n"] >= 20}
    assert await member_ids(api, project, created["id"]) == should
    # Drift the stored membership: one member gone, one outsider in.
    [gone, outsider] = [users[30]["id"], users[3]["id"]]
    async with sessions() as session:
        await session.execute(
            text("DELETE FROM list_members WHERE list_id = :l AND user_id = :u"), {"l": created["id"], "u": gone}
        )
        await session.execute(
            text("INSERT INTO list_members (list_id, user_id, added_at) VALUES (:l, :u, now())"),
            {"l": created["id"], "u": outsider},
        )
        await session.commit()

    # One heap block per page (these users fill several), three pages at a time; or 40 users per page,
    # in id order: either way every user is evaluated once.
    job = ListRecomputeInput(project.id, created["id"], 1, walk=walk, page_blocks=1, lanes=3, page_users=40)
    handle = temporal_client.get_workflow_handle(f"list/{created['id']}/recompute")
    task_queue = (await handle.describe()).task_queue
    result = await temporal_client.execute_workflow(
        LIST_RECOMPUTE_WORKFLOW, job, id=f"list/{created['id']}/recompute", task_queue=task_queue
    )
    assert (result["added"], result["removed"], result["scanned"]) == (1, 1, 150)
    assert await member_ids(api, project, created["id"]) == should
    shown = (await api.get(project.admin(f"/lists/{created['id']}"), headers=project.secret)).json()
    assert shown["recompute"]["state"] == "idle"
    assert shown["recompute"]["progress"] == {"scanned": 150, "added": 1, "removed": 1, "percent": 100}


async def test_malformed_rules_are_rejected_naming_the_node(api, project: ProjectKeys):
    cases = [
        (
            {"all": [{"property": "user.data.plan", "op": "=", "value": "x"}, {"property": "user.data.a", "op": "~"}]},
            "rule.all[1].op",
        ),
        ({"any": []}, "rule.any"),
        ({"event": "order.completed", "within": "soon"}, "rule.within"),
        ({"property": "customer.plan", "op": "=", "value": 1}, "rule.property"),
        ({"property": "user.data.tags", "op": "in", "value": "vip"}, "rule.value"),
        ({"not": {"event": "x", "where": {"property": "user.data.a", "op": "exists"}}}, "rule.not.where.property"),
    ]
    for rule, path in cases:
        response = await api.post(project.admin("/lists"), json={"name": "bad", "rule": rule}, headers=project.secret)
        assert response.status_code == 400, rule
        assert response.json()["detail"].startswith(path), (path, response.json()["detail"])
    assert (await api.get(project.admin("/lists"), headers=project.secret)).json() == []


async def test_event_rule_membership_updates_in_real_time(api, project: ProjectKeys, temporal_client):
    rule = {
        "event": "order.completed",
        "count": {"op": ">=", "value": 2},
        "within": "30 days",
        "where": {
            "all": [
                {"property": "event.data.total", "op": ">=", "value": 100},
                {"property": "event.data.currency", "op": "=", "value": "USD"},
            ]
        },
    }
    big_spenders = await create_list(api, project, rule, temporal_client, "big spenders")
    unrelated = await create_list(api, project, {"event": "page.viewed"}, temporal_client, "viewers")
    order = {"name": "order.completed", "identifier": [{"external_id": "shopper"}]}

    [first] = await post_events(api, project, temporal_client, [{**order, "data": {"total": 150, "currency": "USD"}}])
    user_id = first["user_id"]
    await post_events(
        api,
        project,
        temporal_client,
        [{**order, "data": {"total": 500, "currency": "EUR"}}, {**order, "data": {"total": 50, "currency": "USD"}}],
    )
    assert await member_ids(api, project, big_spenders["id"]) == set()
    await post_events(api, project, temporal_client, [{**order, "data": {"total": 120, "currency": "USD"}}])
    assert await member_ids(api, project, big_spenders["id"]) == {user_id}
    await post_events(api, project, temporal_client, [{**order, "data": {"total": 130, "currency": "USD"}}])

    list_events = [e for e in await timeline(api, project, user_id) if e["name"].startswith("list.")]
    assert [(e["name"], e["data"]) for e in list_events] == [("list.user.added", {"list_id": big_spenders["id"]})]
    assert await member_ids(api, project, unrelated["id"]) == set()


async def test_profile_changes_move_users_in_and_out(api, project: ProjectKeys, temporal_client):
    premium = await create_list(
        api, project, {"property": "user.data.plan", "op": "=", "value": "premium"}, temporal_client
    )
    user = await upsert(api, project, "upgrader", data={"plan": "free"})
    await eventually(lambda: _has_event(api, project, user["id"], "user.created"))
    await upsert(api, project, "upgrader", data={"plan": "premium"})
    await eventually(lambda: _is_member(api, project, premium["id"], user["id"]))
    await upsert(api, project, "upgrader", data={"plan": "free"})
    await eventually(lambda: _is_member(api, project, premium["id"], user["id"], expected=False))
    await eventually(lambda: _has_event(api, project, user["id"], "list.user.removed"))


async def test_organization_properties_and_events_move_members(api, project: ProjectKeys, temporal_client):
    enterprise = await create_list(
        api,
        project,
        {"property": "organization.data.plan", "op": "=", "value": "enterprise"},
        temporal_client,
        "enterprise",
    )
    upgraded = await create_list(
        api, project, {"organization_event": "subscription.upgraded"}, temporal_client, "upgraded"
    )
    user = await upsert(api, project, "employee")
    await api.post(
        "/api/client/organizations",
        json={"external_id": "bigco", "data": {"plan": "enterprise"}},
        headers=project.public,
    )
    await api.post(
        "/api/client/organizations/users",
        json={"organization_external_id": "bigco", "user_external_id": "employee"},
        headers=project.public,
    )
    await eventually(lambda: _is_member(api, project, enterprise["id"], user["id"]))

    response = await api.post(
        "/api/client/organizations/events",
        headers=project.public,
        json=[{"name": "subscription.upgraded", "identifier": [{"external_id": "bigco"}]}],
    )
    await wait_processed(temporal_client, project.id, response.json()["event_ids"])
    assert await member_ids(api, project, upgraded["id"]) == {user["id"]}


async def test_draft_preview_publish(api, project: ProjectKeys, temporal_client):
    a = await upsert(api, project, "a", data={"score": 10})
    b = await upsert(api, project, "b", data={"score": 3})
    lst = await create_list(api, project, {"property": "user.data.score", "op": ">", "value": 5}, temporal_client)
    assert await member_ids(api, project, lst["id"]) == {a["id"]}

    draft = {"property": "user.data.score", "op": ">", "value": 1}
    edited = await api.patch(project.admin(f"/lists/{lst['id']}"), json={"rule": draft}, headers=project.secret)
    assert edited.json()["draft_rule"] == draft and edited.json()["version"] == 1
    assert await member_ids(api, project, lst["id"]) == {a["id"]}, "a draft changes nothing"
    previewed = (await api.post(project.admin(f"/lists/{lst['id']}/preview"), headers=project.secret)).json()
    assert previewed["count"] == 2 and {u["id"] for u in previewed["sample"]} == {a["id"], b["id"]}

    published = await api.post(project.admin(f"/lists/{lst['id']}/publish"), headers=project.secret)
    assert published.json()["version"] == 2 and published.json()["draft_rule"] is None
    await temporal_client.get_workflow_handle(f"list/{lst['id']}/recompute").result()
    assert await member_ids(api, project, lst["id"]) == {a["id"], b["id"]}

    assert (await api.delete(project.admin(f"/lists/{lst['id']}"), headers=project.secret)).status_code == 204
    assert (await api.get(project.admin(f"/lists/{lst['id']}"), headers=project.secret)).status_code == 404


async def test_list_membership_rules_chain(api, project: ProjectKeys, temporal_client):
    vips = await create_list(
        api, project, {"property": "user.data.vip", "op": "=", "value": True}, temporal_client, "vips"
    )
    vip_buyers = await create_list(
        api, project, {"all": [{"in_list": vips["id"]}, {"event": "order.completed"}]}, temporal_client, "vip buyers"
    )
    [result] = await post_events(
        api, project, temporal_client, [{"name": "order.completed", "identifier": [{"external_id": "vb"}]}]
    )
    await upsert(api, project, "vb", data={"vip": True})
    await eventually(lambda: _is_member(api, project, vip_buyers["id"], result["user_id"]))


async def test_a_merge_carries_list_memberships_over(api, project: ProjectKeys):
    static = await create_list(api, project, None, name="newsletter")
    anonymous = [{"external_id": "visitor-7", "source": "anonymous"}]
    anon = (await api.post("/api/client/users", json={"identifier": anonymous}, headers=project.public)).json()
    await api.put(project.admin(f"/lists/{static['id']}/users/{anon['id']}"), headers=project.secret)
    known = await upsert(api, project, "member-7")
    merged = (
        await api.post(
            "/api/client/users", json={"identifier": [{"external_id": "member-7"}, *anonymous]}, headers=project.public
        )
    ).json()
    assert merged["id"] == known["id"]
    assert await member_ids(api, project, static["id"]) == {known["id"]}


async def _is_member(api, project, list_id: str, user_id: str, expected: bool = True) -> bool:
    return (user_id in await member_ids(api, project, list_id)) == expected


async def _has_event(api, project, user_id: str, name: str) -> bool:
    return name in [e["name"] for e in await timeline(api, project, user_id)]


async def test_a_lists_members_are_found_by_identifier_or_email(api, project: ProjectKeys):
    ana = await upsert(api, project, "ana-member", email="Ana.Member@example.com")
    await upsert(api, project, "bo-outsider", email="bo.outsider@example.com")
    audience = await static_list(api, project, [ana])
    path = project.admin(f"/lists/{audience['id']}/users")

    async def found(**query: str) -> list[str]:
        response = await api.get(path, params=query, headers=project.secret)
        assert response.status_code == 200, response.text
        return [user["id"] for user in response.json()["results"]]

    assert await found(external_id="ana-member") == [ana["id"]]
    assert await found(email="ana.member@EXAMPLE.com") == [ana["id"]]
    assert await found(external_id="bo-outsider") == []  # a user, not a member
    too_long = await api.get(path, params={"email": "x" * 400}, headers=project.secret)
    assert too_long.status_code == 400 and "email" in too_long.text


async def test_a_big_projects_preview_is_an_estimate_from_a_sample(api, project: ProjectKeys, database_url: str):
    made = await create_list(api, project, None, name="any list: a preview takes the rule it is given")
    # 120,000 users, one in four premium: past the size a preview counts exactly.
    with psycopg.connect(database_url.replace("+psycopg", "")) as connection:
        connection.execute(
            "INSERT INTO users (id, project_id, data, has_push_device, version, created_at, updated_at)"
            " SELECT gen_random_uuid(), %s, jsonb_build_object('plan', CASE WHEN i %% 4 = 0 THEN 'premium'"
            "  ELSE 'free' END), false, 1, now(), now() FROM generate_series(1, 120000) i",
            (project.id,),
        )
        connection.execute("ANALYZE users")
    rule = {"property": "user.data.plan", "op": "=", "value": "premium"}
    url = project.admin(f"/lists/{made['id']}/preview")
    shown = await api.post(url, json={"rule": rule}, headers=project.secret)
    assert shown.status_code == 200, shown.text
    assert shown.json()["estimated"] is True
    assert 27_000 <= shown.json()["count"] <= 33_000  # 30,000 exactly
    assert len(shown.json()["sample"]) == 10
    again = await api.post(url, json={"rule": rule}, headers=project.secret)
    assert again.json()["count"] == shown.json()["count"]  # the same sample while the rule is edited
