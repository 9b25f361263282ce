"""No input can hurt the server: oversized, deep or malformed input is a fast 4xx naming the field,
and nothing of a refused request is stored."""

import time
import uuid

import httpx
import pytest

from tests.helpers import ProjectKeys, create_list, import_csv, upsert


def nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


async def preview(api: httpx.AsyncClient, project: ProjectKeys, rule: dict) -> httpx.Response:
    lst = await create_list(api, project, None)
    return await api.post(project.admin(f"/lists/{lst['id']}/preview"), json={"rule": rule}, headers=project.secret)


async def test_a_rule_too_large_to_plan_is_refused_before_it_reaches_the_database(api, project: ProjectKeys):
    wide = {"any": [{"property": f"user.data.p{i}", "op": "=", "value": i} for i in range(5000)]}
    started = time.monotonic()
    response = await preview(api, project, wide)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("rule.any: 5000 rules, more than the 500")
    assert time.monotonic() - started < 5

    deep: dict = {"property": "user.email", "op": "exists"}
    for _ in range(40):
        deep = {"not": deep}
    response = await preview(api, project, deep)
    assert response.status_code == 400 and "nest at most 12 levels" in response.json()["detail"]
    for _ in range(400):
        deep = {"not": deep}
    response = await preview(api, project, deep)
    assert response.status_code == 400 and "nested deeper than 64 levels" in response.json()["detail"]

    many = {"property": "user.data.a", "op": "in", "value": list(range(100_000))}
    response = await preview(api, project, many)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("rule.value: 100000 values, more than the 10000")

    long_text = {"property": "user.data.a", "op": "=", "value": "x" * 5000}
    response = await preview(api, project, long_text)
    assert response.status_code == 400 and response.json()["detail"].startswith("rule.value: longer than")


async def test_a_long_in_list_is_one_parameter_and_answers_correctly(api, project: ProjectKeys):
    await upsert(api, project, "low", data={"a": 7})
    await upsert(api, project, "high", data={"a": 20_000})
    await upsert(api, project, "text", data={"a": "7"})
    values = list(range(10_000))
    response = await preview(api, project, {"property": "user.data.a", "op": "in", "value": values})
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 1
    response = await preview(api, project, {"property": "user.data.a", "op": "not_in", "value": values})
    assert response.json()["count"] == 2
    tags = {"property": "user.data.a", "op": "any", "value": values}
    assert (await preview(api, project, tags)).json()["count"] == 0


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("data", {"data": nested(300)}),
        ("data", {"data": {"big": "x" * 70_000}}),
        ("data", {"data": {"list": [nested(40)]}}),
        ("identifier", {"identifier": [{"external_id": f"id{i}"} for i in range(21)]}),
    ],
)
async def test_user_data_beyond_its_limits_is_refused_and_nothing_is_stored(
    api, project: ProjectKeys, field: str, body: dict
):
    payload = {"identifier": [{"external_id": "deep"}], **body}
    response = await api.post("/api/client/users", json=payload, headers=project.public)
    assert response.status_code == 400, response.text
    assert field in response.json()["detail"]
    assert (await api.get(project.admin("/users?external_id=deep"), headers=project.secret)).status_code == 404
    listed = await api.get(project.admin("/users"), headers=project.secret)
    assert listed.status_code == 200 and listed.json()["results"] == []


async def test_text_postgresql_cannot_store_is_refused_naming_where_it_is(api, project: ProjectKeys):
    raw = '{"identifier": [{"external_id": "u"}], "data": {"name": "\\udc00"}}'
    response = await api.post(
        "/api/client/users", content=raw, headers={**project.public, "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and "name" in response.json()["detail"]
    response = await api.get(project.admin("/users?external_id=%00"), headers=project.secret)
    assert response.status_code == 400 and "NUL" in response.json()["detail"]


async def test_events_beyond_their_limits_are_refused(api, project: ProjectKeys):
    event = {"name": "deep", "identifier": [{"external_id": "u"}], "data": nested(600)}
    response = await api.post("/api/client/users/events", json=[event], headers=project.public)
    assert response.status_code == 400 and "nested deeper" in response.json()["detail"]

    batch = [{"name": "e", "identifier": [{"external_id": "u"}]}] * 1001
    response = await api.post("/api/client/users/events", json=batch, headers=project.public)
    assert response.status_code == 400 and "1000" in response.json()["detail"]


async def test_a_body_over_the_limit_is_refused_with_413(api, project: ProjectKeys):
    payload = {"identifier": [{"external_id": "big"}], "data": {"blob": "x" * (10 * 1024 * 1024)}}
    response = await api.post("/api/client/users", json=payload, headers=project.public)
    assert response.status_code == 413 and "5 MiB" in response.json()["detail"]

    async def chunks():  # no Content-Length: counted as it arrives
        for _ in range(11):
            yield b"x" * (512 * 1024)

    headers = {**project.public, "Content-Type": "application/json"}
    response = await api.post("/api/client/users", content=chunks(), headers=headers)
    assert response.status_code == 413


async def test_csv_files_the_parser_cannot_read_are_refused_naming_the_line(api, project: ProjectKeys):
    lst = await create_list(api, project, None)
    for path in ("/users/import", f"/lists/{lst['id']}/users"):
        huge = "identifier,note\nu1,ok\nu2," + "y" * (130 * 1024) + "\n"
        response = await import_csv(api, project, path, huge)
        assert response.status_code == 400, response.text
        assert response.json()["detail"].startswith("file: line 3:")

    bare_cr = "identifier,plan\ru1,free\ru2,pro\r"
    response = await import_csv(api, project, "/users/import", bare_cr)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2


@pytest.mark.parametrize(
    "path",
    [
        "/api/unsubscribe/a.b.é",
        "/api/preferences/a.b.é",
        f"/api/track/{'0' * 32}/click/é?url=https://example.com",
        f"/api/track/{'0' * 32}/open/é.gif",
        f"/api/providers/{uuid.uuid4()}/reports/é",
        f"/api/providers/{uuid.uuid4()}/sms/é",
    ],
)
async def test_a_non_ascii_signature_is_refused_not_a_crash(api, path: str):
    method = api.post if "/providers/" in path else api.get
    response = await method(path)
    assert response.status_code == 400, response.text
