import httpx

from tests.helpers import ADMIN_KEY, ProjectKeys, create_project

USER = {"identifier": [{"external_id": "shared-id"}], "data": {"plan": "pro"}}


async def test_creating_a_project_needs_the_admin_key(api: httpx.AsyncClient, project: ProjectKeys):
    assert (await api.post("/api/admin/projects", json={"name": "x"})).status_code == 401
    wrong = await api.post("/api/admin/projects", json={"name": "x"}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    as_project = await api.post("/api/admin/projects", json={"name": "x"}, headers=project.secret)
    assert as_project.status_code == 403
    assert as_project.json()["title"] == "forbidden"


async def test_admin_lists_projects_without_keys(api: httpx.AsyncClient, project: ProjectKeys):
    response = await api.get("/api/admin/projects", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code == 200
    listed = {p["id"]: p for p in response.json()}
    assert project.id in listed
    assert "secret_key" not in listed[project.id]


async def test_project_name_is_required(api: httpx.AsyncClient):
    response = await api.post("/api/admin/projects", json={}, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code == 400
    assert "name" in response.json()["detail"]


async def test_keys_missing_unknown_and_bare(api: httpx.AsyncClient, project: ProjectKeys):
    assert (await api.post("/api/client/users", json=USER)).status_code == 401
    unknown = await api.post("/api/client/users", json=USER, headers={"Authorization": "Bearer pk_unknown"})
    assert unknown.status_code == 401
    assert unknown.json() == {"title": "unauthorized", "detail": "unknown API key"}
    bare = await api.post("/api/client/users", json=USER, headers={"Authorization": project.public_key})
    assert bare.status_code == 200


async def test_public_key_cannot_use_the_management_api(api: httpx.AsyncClient, project: ProjectKeys):
    response = await api.get(project.admin("/users"), headers=project.public)
    assert response.status_code == 403


async def test_projects_are_isolated(api: httpx.AsyncClient, project: ProjectKeys):
    other = await create_project(api, "other")
    mine = (await api.post("/api/client/users", json=USER, headers=project.public)).json()
    theirs = (await api.post("/api/client/users", json=USER, headers=other.public)).json()
    assert mine["id"] != theirs["id"], "the same external id in two projects names two users"

    # Project A's secret key can read neither B's project path nor B's user through A's path.
    assert (await api.get(other.admin(f"/users/{theirs['id']}"), headers=project.secret)).status_code == 403
    assert (await api.get(project.admin(f"/users/{theirs['id']}"), headers=project.secret)).status_code == 404
    # Writes with A's key touch only A's user.
    await api.post(
        "/api/client/users",
        json={"identifier": [{"external_id": "shared-id"}], "data": {"plan": "free"}},
        headers=project.public,
    )
    unchanged = (await api.get(other.admin(f"/users/{theirs['id']}"), headers=other.secret)).json()
    assert unchanged["data"] == {"plan": "pro"}
    delete = await api.request(
        "DELETE",
        "/api/client/users",
        json={"identifier": [{"external_id": "shared-id"}]},
        headers=project.public,
    )
    assert delete.status_code == 204
    assert (await api.get(other.admin(f"/users/{theirs['id']}"), headers=other.secret)).status_code == 200


async def test_the_admin_key_on_a_project_route_is_told_which_key_it_takes(api: httpx.AsyncClient, project):
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    for method, path in (("GET", project.admin("/lists")), ("POST", "/api/client/users")):
        response = await api.request(method, path, headers=admin, json={"identifier": [{"external_id": "x"}]})
        assert response.status_code == 403, response.text
        assert "instance admin key" in response.json()["detail"] and "sk_" in response.json()["detail"]
