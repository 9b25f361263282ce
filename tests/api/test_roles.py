"""Every route of the management API has a role rule, and every rule holds for every role.

A new route without a row in RULES fails the first test: deciding who may call it is part of adding it.
"""

import re
import uuid

import httpx

from tests.helpers import People, ProjectKeys, create_project

V, E, A, OWN = "viewer", "editor", "admin", "owner"
ROLES = [V, E, A, OWN]

# (method, path under /api/admin/projects/{project_id}) → the least role that may call it.
RULES: dict[tuple[str, str], str] = {
    ("GET", ""): V, ("PATCH", ""): A,
    ("GET", "/users"): V, ("POST", "/users/import"): E, ("GET", "/users/{user_id}"): V,
    ("GET", "/users/{user_id}/events"): V, ("GET", "/users/{user_id}/journeys"): V,
    ("GET", "/users/{user_id}/subscriptions"): V,
    ("PUT", "/users/{user_id}/subscriptions"): E, ("GET", "/users/{user_id}/messages"): V,
    ("GET", "/organizations"): V, ("GET", "/organizations/{organization_id}"): V,
    ("GET", "/organizations/{organization_id}/users"): V, ("GET", "/organizations/{organization_id}/events"): V,
    ("GET", "/events/schema"): V,
    ("POST", "/lists"): E, ("GET", "/lists"): V, ("GET", "/lists/{list_id}"): V, ("PATCH", "/lists/{list_id}"): E,
    ("DELETE", "/lists/{list_id}"): E, ("POST", "/lists/{list_id}/preview"): V, ("POST", "/lists/{list_id}/publish"): E,
    ("GET", "/lists/{list_id}/users"): V, ("POST", "/lists/{list_id}/users"): E,
    ("PUT", "/lists/{list_id}/users/{user_id}"): E, ("DELETE", "/lists/{list_id}/users/{user_id}"): E,
    ("POST", "/journeys"): E, ("GET", "/journeys"): V, ("GET", "/journeys/{journey_id}"): V,
    ("PUT", "/journeys/{journey_id}"): E, ("DELETE", "/journeys/{journey_id}"): E,
    ("POST", "/journeys/{journey_id}/publish"): E, ("POST", "/journeys/{journey_id}/pause"): E,
    ("GET", "/journeys/{journey_id}/runs"): V, ("POST", "/journeys/{journey_id}/runs"): E,
    ("POST", "/journeys/{journey_id}/steps/{step_id}/skip"): E,
    ("POST", "/journeys/{journey_id}/steps/{step_id}/exit"): E,
    ("GET", "/journeys/{journey_id}/stats"): V, ("GET", "/journeys/{journey_id}/versions"): V,
    ("POST", "/journeys/{journey_id}/trial"): V, ("GET", "/journeys/{journey_id}/engagement"): V,
    ("GET", "/campaigns/{campaign_id}/engagement"): V, ("GET", "/lists/{list_id}/sizes"): V,
    ("POST", "/campaigns/{campaign_id}/test"): E,
    ("POST", "/providers"): A, ("GET", "/providers"): V, ("PUT", "/providers/{provider_id}"): A,
    ("DELETE", "/providers/{provider_id}"): A, ("POST", "/providers/{provider_id}/test"): A,
    ("POST", "/subscriptions"): A, ("GET", "/subscriptions"): V, ("DELETE", "/subscriptions/{group_id}"): A,
    ("POST", "/campaigns"): E, ("GET", "/campaigns"): V, ("GET", "/campaigns/{campaign_id}"): V,
    ("PUT", "/campaigns/{campaign_id}"): E, ("DELETE", "/campaigns/{campaign_id}"): E,
    ("POST", "/campaigns/{campaign_id}/preview"): V,
    ("GET", "/suppressions"): V, ("DELETE", "/suppressions/{channel}/{address}"): A,
    ("POST", "/broadcasts"): E, ("GET", "/broadcasts"): V, ("GET", "/broadcasts/{broadcast_id}"): V,
    ("POST", "/broadcasts/{broadcast_id}/cancel"): E,
    ("GET", "/schedules"): V, ("GET", "/schedules/{entity}/{name}"): V, ("PUT", "/schedules/{entity}/{name}"): E,
    ("GET", "/{owners}/{owner_id}/schedules"): V, ("POST", "/{owners}/{owner_id}/schedules/{name}/pause"): E,
    ("POST", "/{owners}/{owner_id}/schedules/{name}/resume"): E,
    ("GET", "/members"): V, ("POST", "/members"): OWN, ("PATCH", "/members/{account_id}"): OWN,
    ("DELETE", "/members/{account_id}"): OWN, ("DELETE", "/members/{account_id}/sessions"): A,
    ("GET", "/keys"): A, ("POST", "/keys"): A, ("POST", "/keys/{key_id}/rotate"): A, ("DELETE", "/keys/{key_id}"): A,
    ("GET", "/audit"): A,
}  # fmt: skip

PREFIX = "/api/admin/projects/{project_id}"


async def test_every_management_route_has_a_role_rule(api: httpx.AsyncClient):
    paths = (await api.get("/openapi.json")).json()["paths"]
    routes = {
        (method.upper(), path.removeprefix(PREFIX))
        for path, operations in paths.items()
        if path.startswith(PREFIX)
        for method in operations
    }
    assert routes - RULES.keys() == set(), "routes without a role rule: add them to RULES"
    assert RULES.keys() - routes == set(), "rules for routes that no longer exist"


async def test_each_role_may_call_exactly_the_routes_its_rank_allows(
    api: httpx.AsyncClient, people: People, project: ProjectKeys
):
    callers: dict[str, dict[str, str]] = {"sk_ key": project.secret}
    for role in [*ROLES, "outsider"]:
        if role == "outsider":
            account, browser = await people.member(await _other_project(api), "owner")
        else:
            account, browser = await people.member(project, role)
        token = (await browser.post("/api/auth/tokens", json={"name": role})).json()["token"]
        callers[role] = {"Authorization": f"Bearer {token}"}

    wrong: list[str] = []
    for (method, path), needed in RULES.items():
        url = project.admin(_filled(path))
        for caller, headers in callers.items():
            response = await api.request(method, url, headers=headers, json={})
            allowed = caller == "sk_ key" or (caller in ROLES and ROLES.index(caller) >= ROLES.index(needed))
            refused = response.status_code == 403 and ("role" in response.text or "not a member" in response.text)
            if response.status_code in (401, 500) or allowed == refused:
                wrong.append(f"{caller} {method} {path}: {response.status_code} {response.text[:120]}")
            if refused and caller in ROLES:
                assert f"needs the {needed} role" in response.json()["detail"], response.text
    assert wrong == []


def _filled(path: str) -> str:
    """Path parameters filled with values that name nothing (or nothing of this project)."""
    values = {"owners": "users", "entity": "user", "channel": "email", "address": "nobody@example.com", "name": "x"}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


async def _other_project(api: httpx.AsyncClient) -> ProjectKeys:
    return await create_project(api, "elsewhere")
