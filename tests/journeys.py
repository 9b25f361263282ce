"""Helpers for journey tests: build campaigns and journeys through the API, and follow runs."""

import asyncio
from typing import Any

import httpx
from temporalio.client import Client

from tests.conftest import ProjectKeys


async def created(api: httpx.AsyncClient, project: ProjectKeys, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(project.admin(path), json=body, headers=project.secret)
    assert response.status_code == 201, response.text
    return response.json()


async def email_campaign(
    api: httpx.AsyncClient,
    project: ProjectKeys,
    smtp_port: int,
    templates: dict[str, Any],
    *,
    group_id: str | None = None,
    transactional: bool = False,
    variables: dict[str, Any] | None = None,
    tls: str = "none",
) -> dict[str, Any]:
    provider = await created(
        api,
        project,
        "/providers",
        {"name": "local smtp", "kind": "smtp", "config": {"host": "127.0.0.1", "port": smtp_port, "tls": tls,
                                                          "from": "shop@example.com"}},
    )  # fmt: skip
    return await created(
        api,
        project,
        "/campaigns",
        {
            "name": "follow-up",
            "channel": "email",
            "provider_id": provider["id"],
            "subscription_group_id": group_id,
            "transactional": transactional,
            "templates": templates,
            "variables": variables or {},
        },
    )


async def live_journey(
    api: httpx.AsyncClient, project: ProjectKeys, steps: dict[str, Any], exit_on: list[Any] | None = None
) -> dict[str, Any]:
    journey = await created(api, project, "/journeys", {"name": "journey", "steps": steps, "exit_on": exit_on or []})
    response = await api.post(project.admin(f"/journeys/{journey['id']}/publish"), headers=project.secret)
    assert response.status_code == 200, response.text
    return response.json()


def waiting_steps(entrance_event: str, duration: str) -> dict[str, Any]:
    """A journey that enters on the event, waits, and exits: the shape `exit_on` tests wait in."""
    return {
        "entry": {"type": "entrance", "event": entrance_event, "next": "wait"},
        "wait": {"type": "delay", "duration": duration, "next": "done"},
        "done": {"type": "exit"},
    }


async def run_result(client: Client, journey_id: str, user_id: str, sequence: int = 1) -> Any:
    workflow_id = f"journey/{journey_id}/{user_id}" + ("" if sequence == 1 else f"/{sequence}")
    for _ in range(200):  # the run starts once the entering event has been processed
        try:
            return await asyncio.wait_for(client.get_workflow_handle(workflow_id).result(), timeout=60)
        except Exception as error:  # noqa: BLE001 - not started yet
            if "not found" not in str(error).lower():
                raise
            await asyncio.sleep(0.05)
    raise AssertionError(f"{workflow_id} never started")


async def runs(api: httpx.AsyncClient, project: ProjectKeys, journey_id: str, user_id: str) -> list[dict[str, Any]]:
    response = await api.get(project.admin(f"/journeys/{journey_id}/runs?user_id={user_id}"), headers=project.secret)
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def stats(api: httpx.AsyncClient, project: ProjectKeys, journey_id: str) -> dict[str, Any]:
    response = await api.get(project.admin(f"/journeys/{journey_id}/stats"), headers=project.secret)
    assert response.status_code == 200, response.text
    return response.json()
