import asyncio

import httpx
from sqlalchemy import func, select

from domain.users.models import UserIdentifier
from tests.helpers import ProjectKeys, timeline, wait_processed


async def upsert(api: httpx.AsyncClient, project: ProjectKeys, body: dict) -> httpx.Response:
    return await api.post("/api/client/users", json=body, headers=project.public)


async def test_upsert_creates_a_user_with_every_documented_field(api, project: ProjectKeys):
    response = await upsert(
        api,
        project,
        {
            "identifier": [{"externalId": "user_123", "metadata": {"plan_source": "signup"}}],
            "email": "alice@example.com",
            "phone": "+14155550123",
            "timezone": "America/Chicago",
            "locale": "es-MX",
            "data": {"first_name": "Alice", "plan": "premium"},
            "unknown_extra": "ignored",
        },
    )
    assert response.status_code == 200, response.text
    user = response.json()
    assert user["email"] == "alice@example.com"
    assert user["phone"] == "+14155550123"
    assert user["timezone"] == "America/Chicago"
    assert user["locale"] == "es-MX"
    assert user["data"] == {"first_name": "Alice", "plan": "premium"}
    assert user["version"] == 1
    assert user["has_push_device"] is False
    assert user["project_id"] == project.id
    [identifier] = user["identifier"]
    assert identifier["source"] == "default"
    assert identifier["external_id"] == "user_123"
    assert identifier["metadata"] == {"plan_source": "signup"}
    assert user["created_at"].endswith("Z") or "+00:00" in user["created_at"]
    assert [e["name"] for e in await timeline(api, project, user["id"])] == ["user.created"]


async def test_data_is_shallow_merged_and_version_counts_changes(api, project: ProjectKeys):
    ident = [{"external_id": "merge-me"}]
    first = (
        await upsert(
            api,
            project,
            {
                "identifier": ident,
                "data": {"plan": "free", "city": "Austin", "address": {"city": "Austin", "state": "TX"}},
            },
        )
    ).json()
    second = (
        await upsert(
            api,
            project,
            {
                "identifier": ident,
                "data": {"plan": "premium", "company": "Acme", "address": {"city": "Dallas"}},
            },
        )
    ).json()
    assert second["id"] == first["id"]
    assert second["data"] == {
        "plan": "premium",
        "city": "Austin",
        "company": "Acme",
        "address": {"city": "Dallas"},
    }
    assert second["version"] == 2

    # The same values again change nothing: no new version, no user.updated.
    third = (await upsert(api, project, {"identifier": ident, "data": {"plan": "premium"}})).json()
    assert third["version"] == 2
    events = await timeline(api, project, first["id"])
    assert [e["name"] for e in events] == ["user.updated", "user.created"]
    assert set(events[0]["data"]["changed"]) == {"data.plan", "data.company", "data.address"}


async def test_multiple_sources_attach_to_one_user(api, project: ProjectKeys):
    first = (await upsert(api, project, {"identifier": [{"external_id": "u-9"}]})).json()
    both = (
        await upsert(
            api,
            project,
            {"identifier": [{"external_id": "u-9"}, {"external_id": "ph_abc", "source": "posthog"}]},
        )
    ).json()
    assert both["id"] == first["id"]
    assert {(i["source"], i["external_id"]) for i in both["identifier"]} == {
        ("default", "u-9"),
        ("posthog", "ph_abc"),
    }
    by_posthog = await api.get(project.admin("/users?external_id=ph_abc&source=posthog"), headers=project.secret)
    assert by_posthog.json()["id"] == first["id"]


async def test_invalid_fields_are_rejected_naming_the_field_and_nothing_is_written(api, project: ProjectKeys):
    for field, value in [
        ("email", "not-an-email"),
        ("phone", "0123"),
        ("timezone", "Mars/Olympus"),
        ("locale", "english please"),
    ]:
        response = await upsert(api, project, {"identifier": [{"external_id": f"bad-{field}"}], field: value})
        assert response.status_code == 400, (field, response.text)
        body = response.json()
        assert body["title"] == "bad request"
        assert field in body["detail"]
        lookup = await api.get(project.admin(f"/users?external_id=bad-{field}"), headers=project.secret)
        assert lookup.status_code == 404

    for body in [{}, {"identifier": []}, {"identifier": [{"source": "x"}]}, {"identifier": "u1"}]:
        response = await upsert(api, project, body)
        assert response.status_code == 400
        assert "identifier" in response.json()["detail"]


async def test_malformed_json_is_a_400(api, project: ProjectKeys):
    response = await api.post(
        "/api/client/users",
        content=b"{not json",
        headers={**project.public, "Content-Type": "application/json"},
    )
    assert response.status_code == 400


async def test_anonymous_profile_merges_into_the_identified_user(api, project: ProjectKeys, temporal_client):
    anonymous = [{"external_id": "anon-1", "source": "anonymous"}]
    anon = (
        await upsert(
            api,
            project,
            {
                "identifier": anonymous,
                "data": {"plan": "trial", "seen_pricing": True},
                "timezone": "Europe/Paris",
            },
        )
    ).json()
    posted = await api.post(
        "/api/client/users/events",
        json=[{"name": "page.viewed", "identifier": anonymous, "data": {"path": "/pricing"}}],
        headers=project.public,
    )
    await wait_processed(temporal_client, project.id, posted.json()["event_ids"])
    known = (await upsert(api, project, {"identifier": [{"external_id": "alice"}], "data": {"plan": "premium"}})).json()

    merged = await upsert(api, project, {"identifier": [{"external_id": "alice"}, *anonymous]})
    assert merged.status_code == 200, merged.text
    user = merged.json()
    assert user["id"] == known["id"]
    assert user["data"] == {"plan": "premium", "seen_pricing": True}, "identified wins on conflicts"
    assert user["timezone"] == "Europe/Paris"
    assert {(i["source"], i["external_id"]) for i in user["identifier"]} == {
        ("default", "alice"),
        ("anonymous", "anon-1"),
    }
    assert (await api.get(project.admin(f"/users/{anon['id']}"), headers=project.secret)).status_code == 404
    names = [e["name"] for e in await timeline(api, project, known["id"])]
    assert "page.viewed" in names, "the anonymous user's events moved"


async def test_two_identified_users_are_never_merged_silently(api, project: ProjectKeys):
    await upsert(api, project, {"identifier": [{"external_id": "bob"}]})
    await upsert(api, project, {"identifier": [{"external_id": "carol"}]})
    response = await upsert(api, project, {"identifier": [{"external_id": "bob"}, {"external_id": "carol"}]})
    assert response.status_code == 409
    assert "default:bob" in response.json()["detail"] and "default:carol" in response.json()["detail"]


async def test_concurrent_upserts_of_a_new_identifier_create_one_user(api, project: ProjectKeys, sessions):
    body = {"identifier": [{"external_id": "racer"}], "data": {"n": 1}}
    responses = await asyncio.gather(*(upsert(api, project, body) for _ in range(25)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["id"] for r in responses}) == 1
    async with sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(UserIdentifier)
            .where(
                UserIdentifier.external_id == "racer",
                UserIdentifier.project_id == responses[0].json()["project_id"],
            )
        )
    assert count == 1


async def test_concurrent_events_for_a_new_identifier_create_one_user(api, project: ProjectKeys, temporal_client):
    items = [{"name": "tap", "identifier": [{"external_id": "burst"}], "data": {"i": i}} for i in range(20)]
    posted = await api.post("/api/client/users/events", json=items, headers=project.public)
    results = await wait_processed(temporal_client, project.id, posted.json()["event_ids"])
    assert len({r["user_id"] for r in results}) == 1
    names = [e["name"] for e in await timeline(api, project, results[0]["user_id"])]
    assert names.count("user.created") == 1 and names.count("tap") == 20


async def test_delete_removes_the_user(api, project: ProjectKeys):
    user = (await upsert(api, project, {"identifier": [{"external_id": "gone"}]})).json()
    response = await api.request(
        "DELETE", "/api/client/users", json={"identifier": [{"external_id": "gone"}]}, headers=project.public
    )
    assert response.status_code == 204
    assert (await api.get(project.admin(f"/users/{user['id']}"), headers=project.secret)).status_code == 404
    again = await api.request(
        "DELETE", "/api/client/users", json={"identifier": [{"external_id": "gone"}]}, headers=project.public
    )
    assert again.status_code == 404
    assert again.json()["title"] == "resource not found"


async def test_users_are_listed_by_page(api, project: ProjectKeys):
    for i in range(5):
        await upsert(api, project, {"identifier": [{"external_id": f"page-{i}"}]})
    seen, cursor = [], None
    while True:
        query = "/users?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.get(project.admin(query), headers=project.secret)).json()
        seen += [u["id"] for u in page["results"]]
        if not (cursor := page["next_cursor"]):
            break
    assert len(seen) == len(set(seen)) == 5
    bad = await api.get(project.admin("/users?cursor=zzz"), headers=project.secret)
    assert bad.status_code == 400 and "cursor" in bad.json()["detail"]
