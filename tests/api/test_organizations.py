import httpx

from tests.helpers import ProjectKeys, org_upsert, timeline


async def org_timeline(api: httpx.AsyncClient, project: ProjectKeys, org_id: str) -> list[str]:
    response = await api.get(project.admin(f"/organizations/{org_id}/events"), headers=project.secret)
    return [e["name"] for e in response.json()["results"]]


async def test_organization_upsert_merges_and_emits_events(api, project: ProjectKeys):
    created = await org_upsert(
        api, project, {"externalId": "acme", "name": "Acme", "data": {"plan": "pro", "seats": 5}}
    )
    assert created.status_code == 200, created.text
    org = created.json()
    assert org["name"] == "Acme" and org["version"] == 1
    assert org["identifier"][0]["external_id"] == "acme"

    updated = (await org_upsert(api, project, {"identifier": [{"external_id": "acme"}], "data": {"seats": 10}})).json()
    assert updated["id"] == org["id"]
    assert updated["data"] == {"plan": "pro", "seats": 10}
    assert updated["version"] == 2
    same = (await org_upsert(api, project, {"external_id": "acme", "data": {"seats": 10}})).json()
    assert same["version"] == 2
    assert await org_timeline(api, project, org["id"]) == ["organization.updated", "organization.created"]
    found = await api.get(project.admin("/organizations?external_id=acme"), headers=project.secret)
    assert found.json()["id"] == org["id"]


async def test_membership_add_update_remove(api, project: ProjectKeys):
    org = (await org_upsert(api, project, {"external_id": "globex"})).json()
    user = (
        await api.post("/api/client/users", json={"identifier": [{"external_id": "homer"}]}, headers=project.public)
    ).json()
    body = {
        "organization": {"identifier": [{"externalId": "globex"}]},
        "user": {"identifier": [{"externalId": "homer"}]},
        "data": {"role": "engineer", "floor": 7},
    }
    added = await api.post("/api/client/organizations/users", json=body, headers=project.public)
    assert added.status_code == 200, added.text
    assert added.json()["data"] == {"role": "engineer", "floor": 7}

    flat = {"organization_external_id": "globex", "user_external_id": "homer", "data": {"role": "manager"}}
    updated = await api.post("/api/client/organizations/users", json=flat, headers=project.public)
    assert updated.json()["data"] == {"role": "manager", "floor": 7}
    unchanged = await api.post("/api/client/organizations/users", json=flat, headers=project.public)
    assert unchanged.status_code == 200

    names = [e["name"] for e in await timeline(api, project, user["id"])]
    assert names == ["organization.user.updated", "organization.user.added", "user.created"]
    assert await org_timeline(api, project, org["id"]) == [
        "organization.user.updated",
        "organization.user.added",
        "organization.created",
    ]
    members = (await api.get(project.admin(f"/organizations/{org['id']}/users"), headers=project.secret)).json()
    assert [(m["user_id"], m["data"]["role"]) for m in members["results"]] == [(user["id"], "manager")]

    removed = await api.request("DELETE", "/api/client/organizations/users", json=flat, headers=project.public)
    assert removed.status_code == 204
    members = (await api.get(project.admin(f"/organizations/{org['id']}/users"), headers=project.secret)).json()
    assert members["results"] == []


async def test_membership_needs_an_existing_organization_and_user(api, project: ProjectKeys):
    await org_upsert(api, project, {"external_id": "initech"})
    await api.post("/api/client/users", json={"identifier": [{"external_id": "milton"}]}, headers=project.public)
    no_user = {"organization_external_id": "initech", "user_external_id": "nobody"}
    no_org = {"organization_external_id": "nowhere", "user_external_id": "milton"}
    for body, missing in [(no_user, "user"), (no_org, "organization")]:
        response = await api.post("/api/client/organizations/users", json=body, headers=project.public)
        assert response.status_code == 404
        assert missing in response.json()["detail"]
    assert (await api.get(project.admin("/users?external_id=nobody"), headers=project.secret)).status_code == 404
    assert (
        await api.get(project.admin("/organizations?external_id=nowhere"), headers=project.secret)
    ).status_code == 404
    missing_side = await api.post(
        "/api/client/organizations/users", json={"user_external_id": "milton"}, headers=project.public
    )
    assert missing_side.status_code == 400 and "organization" in missing_side.json()["detail"]


async def test_deleting_an_organization_keeps_its_users(api, project: ProjectKeys):
    org = (await org_upsert(api, project, {"external_id": "umbrella"})).json()
    user = (
        await api.post("/api/client/users", json={"identifier": [{"external_id": "alice-u"}]}, headers=project.public)
    ).json()
    await api.post(
        "/api/client/organizations/users",
        json={"organization_external_id": "umbrella", "user_external_id": "alice-u"},
        headers=project.public,
    )
    deleted = await api.request(
        "DELETE", "/api/client/organizations", json={"external_id": "umbrella"}, headers=project.public
    )
    assert deleted.status_code == 204
    assert (await api.get(project.admin(f"/organizations/{org['id']}"), headers=project.secret)).status_code == 404
    assert (await api.get(project.admin(f"/users/{user['id']}"), headers=project.secret)).status_code == 200
    removed = [e for e in await timeline(api, project, user["id"]) if e["name"] == "organization.user.removed"]
    assert [e["data"] for e in removed] == [{"organization_id": org["id"]}]
