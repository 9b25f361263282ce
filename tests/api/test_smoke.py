from tests.helpers import ProjectKeys, timeline, wait_processed


async def test_health(api):
    response = await api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "temporal": "ok"}


async def test_event_creates_user_and_lands_on_timeline(api, project: ProjectKeys, temporal_client):
    response = await api.post(
        "/api/client/users/events",
        json=[{"name": "order.completed", "identifier": [{"externalId": "u1"}], "data": {"total": 10}}],
        headers=project.public,
    )
    assert response.status_code == 202, response.text
    event_ids = response.json()["event_ids"]
    [result] = await wait_processed(temporal_client, project.id, event_ids)
    names = [e["name"] for e in await timeline(api, project, result["user_id"])]
    assert sorted(names) == ["order.completed", "user.created"]
