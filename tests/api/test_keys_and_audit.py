"""A project's named keys (rotation with overlap, revocation) and the audit log of the common changes."""

import httpx
from sqlalchemy import text

from core.db import SessionFactory
from tests.helpers import People, ProjectKeys, created, make_account

USER = {"identifier": [{"external_id": "k"}]}


async def test_keys_are_listed_by_prefix_rotated_with_an_overlap_and_revoked(
    api: httpx.AsyncClient, project: ProjectKeys, sessions: SessionFactory
):
    listed = (await api.get(project.admin("/keys"), headers=project.secret)).json()
    assert sorted((k["name"], k["kind"]) for k in listed) == [("default", "public"), ("default", "secret")]
    assert project.secret_key not in str(listed) and project.public_key not in str(listed)
    public = next(k for k in listed if k["kind"] == "public")
    assert project.public_key.startswith(public["prefix"])

    made = await api.post(project.admin("/keys"), json={"name": "backend", "kind": "public"}, headers=project.secret)
    assert made.status_code == 201, made.text
    backend = made.json()
    assert backend["key"].startswith("pk_") and backend["prefix"] == backend["key"][:10]
    assert (await api.post("/api/client/users", json=USER, headers=_bearer(backend["key"]))).status_code == 200

    rotated = await api.post(project.admin(f"/keys/{backend['id']}/rotate"), json={"overlap_minutes": 60},
                             headers=project.secret)  # fmt: skip
    assert rotated.status_code == 200, rotated.text
    new_key = rotated.json()["new"]["key"]
    assert rotated.json()["old"]["expires_at"] is not None
    # Both work during the overlap…
    for key in (backend["key"], new_key):
        assert (await api.post("/api/client/users", json=USER, headers=_bearer(key))).status_code == 200
    # …and the old one stops when it ends (moved forward here rather than waited for).
    async with sessions() as session:
        await session.execute(text("UPDATE project_keys SET expires_at = now() WHERE id = :id"), {"id": backend["id"]})
        await session.commit()
    api_app = api._transport.app  # type: ignore[attr-defined]
    api_app.state.key_cache.clear()  # another process would see it once its 30-second cache lapses
    assert (await api.post("/api/client/users", json=USER, headers=_bearer(backend["key"]))).status_code == 401
    assert backend["id"] not in [
        k["id"] for k in (await api.get(project.admin("/keys"), headers=project.secret)).json()
    ]

    # A revoked key stops at once, cached or not.
    new_id = rotated.json()["new"]["id"]
    assert (await api.delete(project.admin(f"/keys/{new_id}"), headers=project.secret)).status_code == 204
    assert (await api.post("/api/client/users", json=USER, headers=_bearer(new_key))).status_code == 401
    assert (await api.delete(project.admin(f"/keys/{new_id}"), headers=project.secret)).status_code == 409
    bad = await api.post(project.admin("/keys"), json={"name": "x", "kind": "root"}, headers=project.secret)
    assert bad.status_code == 400 and "kind" in bad.json()["detail"]


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_the_audit_log_answers_who_changed_what_and_how(
    api: httpx.AsyncClient, people: People, project: ProjectKeys
):
    owner, browser = await people.member(project, "owner")

    # Publishing a journey.
    journey = (await browser.post(project.admin("/journeys"), json={"name": "welcome", "steps": {
        "entry": {"type": "entrance", "event": "signed.up", "next": "done"}, "done": {"type": "exit"},
    }})).json()  # fmt: skip
    assert (await browser.post(project.admin(f"/journeys/{journey['id']}/publish"))).status_code == 200
    # Editing a list's rule.
    pro = {"property": "user.data.plan", "op": "=", "value": "pro"}
    listed = await created(api, project, "/lists", {"name": "pro", "kind": "dynamic", "rule": pro})
    edited = await browser.patch(project.admin(f"/lists/{listed['id']}"),
                                 json={"rule": {"property": "user.data.plan", "op": "=", "value": "team"}})  # fmt: skip
    assert edited.status_code == 200, edited.text
    assert (await browser.post(project.admin(f"/lists/{listed['id']}/publish"))).status_code in (200, 202)
    # Creating a provider (its password never shows).
    provider = await browser.post(project.admin("/providers"), json={"name": "mail", "kind": "smtp", "config": {
        "host": "127.0.0.1", "port": 2525, "tls": "none", "from": "shop@example.com", "password": "hunter2-secret",
    }})  # fmt: skip
    assert provider.status_code == 201, provider.text
    # Rotating a key.
    key = next(k for k in (await browser.get(project.admin("/keys"))).json() if k["kind"] == "public")
    assert (await browser.post(project.admin(f"/keys/{key['id']}/rotate"), json={})).status_code == 200
    # Changing a role.
    colleague = await make_account(api)
    await browser.post(project.admin("/members"), json={"email": colleague["email"], "role": "viewer"})
    changed = await browser.patch(project.admin(f"/members/{colleague['id']}"), json={"role": "editor"})
    assert changed.status_code == 200

    entries = (await browser.get(project.admin("/audit"))).json()["results"]
    assert "hunter2-secret" not in str(entries)
    by_action = {(e["action"], e["object_type"]): e for e in entries}

    published = by_action[("POST /journeys/{journey_id}/publish", "journey")]
    assert published["object_id"] == journey["id"] and published["change"] == "updated"
    assert published["actor_kind"] == "account" and published["actor_label"] == owner["email"]
    assert published["before"]["status"] == "draft" and published["after"]["status"] == "live"

    draft = by_action[("PATCH /lists/{list_id}", "list")]
    assert draft["object_id"] == listed["id"] and draft["after"]["draft_rule"]["value"] == "team"
    rule = by_action[("POST /lists/{list_id}/publish", "list")]
    assert rule["before"]["rule.value"] == "pro" and rule["after"]["rule.value"] == "team"

    made = by_action[("POST /providers", "provider")]
    assert made["change"] == "created" and made["after"]["name"] == "mail"
    assert made["after"]["sealed_credentials"] == "(set)"

    rotation = [e for e in entries if e["action"] == "POST /keys/{key_id}/rotate"]
    assert {e["change"] for e in rotation} == {"updated", "created"}  # the old key's expiry, the new key
    old = next(e for e in rotation if e["change"] == "updated")
    assert old["object_id"] == key["id"] and old["before"]["expires_at"] is None and old["after"]["expires_at"]
    assert all("key_hash" not in (e["after"] or {}) or e["after"]["key_hash"] == "(set)" for e in rotation)

    role = by_action[("PATCH /members/{account_id}", "member")]
    assert role["object_id"] == colleague["id"]
    assert role["before"] == {"role": "viewer"} and role["after"] == {"role": "editor"}

    # Changes made with the project's key name the key; filters by object, actor and paging.
    by_key = by_action[("POST /lists", "list")]
    assert by_key["actor_kind"] == "key" and by_key["actor_label"].startswith("key default (sk_")
    about_list = (await browser.get(project.admin("/audit"), params={"object_id": listed["id"]})).json()["results"]
    assert [e["action"] for e in about_list] == [
        "POST /lists/{list_id}/publish",
        "PATCH /lists/{list_id}",
        "POST /lists",
    ]
    mine = (await browser.get(project.admin("/audit"), params={"actor": owner["id"]})).json()["results"]
    assert mine and all(e["actor_id"] == owner["id"] for e in mine)
    first = (await browser.get(project.admin("/audit"), params={"limit": 2})).json()
    rest = (await browser.get(project.admin("/audit"), params={"limit": 1000, "cursor": first["next_cursor"]})).json()
    assert [e["id"] for e in first["results"] + rest["results"]] == [e["id"] for e in entries]
    assert (await browser.get(project.admin("/audit"), params={"cursor": "x"})).status_code == 400

    # Reading changes nothing on the log; a viewer may not read it.
    assert len((await browser.get(project.admin("/audit"))).json()["results"]) == len(entries)
    _, viewer = await people.member(project, "viewer")
    assert (await viewer.get(project.admin("/audit"))).status_code == 403


async def test_a_change_to_rows_the_log_does_not_track_is_recorded_as_its_request(
    api: httpx.AsyncClient, people: People, project: ProjectKeys
):
    _, editor = await people.member(project, "editor")
    user = (await api.post("/api/client/users", json=USER, headers=project.public)).json()
    static = (await editor.post(project.admin("/lists"), json={"name": "vip", "kind": "static"})).json()
    assert (await editor.put(project.admin(f"/lists/{static['id']}/users/{user['id']}"))).status_code in (200, 204)
    entries = (await api.get(project.admin("/audit"), headers=project.secret)).json()["results"]
    [added] = [e for e in entries if e["action"] == "PUT /lists/{list_id}/users/{user_id}"]
    assert added["object_type"] == "list" and added["object_id"] == static["id"] and added["change"] == "requested"
