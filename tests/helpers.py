"""Helpers the tests share: projects, users, events, lists, journeys and workflows through the real API."""

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.config import Settings
from core.credentials import new_key
from core.db import SessionFactory
from domain.journeys.entry import admit, published
from domain.journeys.models import Journey
from domain.journeys.walk import walk_admitted
from domain.messaging.links import Links
from lifecycle.unit_of_work import Dispatch
from worker.registry import WORKFLOWS, WorkerDeps, build_activities, workflow_runner

# The test session's instance settings; workers started by a test use the same.
ADMIN_KEY = "test-admin-key"
SIGNING_SECRET = "test-signing-secret"
CREDENTIALS_KEY = new_key()
BIN = Path(sys.executable).parent


def make_worker(client: Client, sessions: SessionFactory, task_queue: str, **overrides: Any) -> Worker:
    links = Links.from_settings(Settings(signing_secret=SIGNING_SECRET, credentials_keys=CREDENTIALS_KEY))
    deps = WorkerDeps(client=client, sessions=sessions, task_queue=task_queue, links=links)
    return Worker(
        client,
        task_queue=task_queue,
        graceful_shutdown_timeout=timedelta(seconds=5),
        workflow_runner=workflow_runner(),
        workflows=list(WORKFLOWS),
        activities=overrides.pop("activities", None) or build_activities(deps),
        **overrides,
    )


@dataclass
class ProjectKeys:
    id: str
    public_key: str
    secret_key: str

    @property
    def public(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.public_key}"}

    @property
    def secret(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret_key}"}

    def admin(self, path: str) -> str:
        return f"/api/admin/projects/{self.id}{path}"


async def create_project(api: httpx.AsyncClient, name: str = "test") -> ProjectKeys:
    response = await api.post(
        "/api/admin/projects", json={"name": name}, headers={"Authorization": f"Bearer {ADMIN_KEY}"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return ProjectKeys(id=body["id"], public_key=body["public_key"], secret_key=body["secret_key"])


async def wait_processed(client: Client, project_id: str, event_ids: list[str]) -> list[Any]:
    """Wait for the event workflows to start (the API's outbox drain starts them just after the `202`)
    and finish (their result says who the event was recorded for)."""
    return await asyncio.wait_for(
        asyncio.gather(*(workflow_result(client, f"event/{project_id}/{event_id}") for event_id in event_ids)),
        timeout=60,
    )


async def workflow_result(client: Client, workflow_id: str) -> Any:
    """The result of a workflow that may not have been started yet."""
    while True:
        try:
            return await client.get_workflow_handle(workflow_id).result()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
        await asyncio.sleep(0.02)


async def timeline(api: httpx.AsyncClient, project: ProjectKeys, user_id: str) -> list[dict[str, Any]]:
    response = await api.get(project.admin(f"/users/{user_id}/events?limit=1000"), headers=project.secret)
    assert response.status_code == 200, response.text
    return response.json()["results"]


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


async def upsert(api: httpx.AsyncClient, project: ProjectKeys, external_id: str, **fields: Any) -> dict:
    response = await api.post(
        "/api/client/users", json={"identifier": [{"external_id": external_id}], **fields}, headers=project.public
    )
    assert response.status_code == 200, response.text
    return response.json()


async def create_list(
    api: httpx.AsyncClient, project: ProjectKeys, rule: dict | None, temporal_client=None, name: str = "segment"
) -> dict:
    body = {"name": name, **({"rule": rule} if rule is not None else {"kind": "static"})}
    response = await api.post(project.admin("/lists"), json=body, headers=project.secret)
    assert response.status_code == 201, response.text
    created = response.json()
    if rule is not None and temporal_client is not None:
        await temporal_client.get_workflow_handle(f"list/{created['id']}/recompute").result()
    return created


async def member_ids(api: httpx.AsyncClient, project: ProjectKeys, list_id: str) -> set[str]:
    response = await api.get(project.admin(f"/lists/{list_id}/users?limit=1000"), headers=project.secret)
    assert response.status_code == 200, response.text
    return {u["id"] for u in response.json()["results"]}


async def post_events(api, project, temporal_client, items: list[dict]) -> list[dict]:
    response = await api.post("/api/client/users/events", json=items, headers=project.public)
    assert response.status_code == 202, response.text
    return await wait_processed(temporal_client, project.id, response.json()["event_ids"])


async def static_list(api, project: ProjectKeys, users: list[dict]) -> dict:
    audience = await create_list(api, project, None, name="customers")
    for user in users:
        path = f"/lists/{audience['id']}/users/{user['id']}"
        assert (await api.put(project.admin(path), headers=project.secret)).status_code == 204
    return audience


async def org_upsert(api: httpx.AsyncClient, project: ProjectKeys, body: dict) -> httpx.Response:
    return await api.post("/api/client/organizations", json=body, headers=project.public)


def welcome(campaign_id: str) -> dict:
    return {
        "entry": {"type": "entrance", "event": "signed.up", "next": "welcome"},
        "welcome": {"type": "send", "campaign_id": campaign_id},
    }


def order_follow_up(campaign_id: str) -> dict:
    return {
        "entry": {"type": "entrance", "trigger": "event", "event": "order.completed", "data_key": "order",
                  "next": "plan"},
        "plan": {"type": "gate", "rule": {"property": "user.data.plan", "op": "=", "value": "premium"},
                 "yes": "thanks", "no": "done"},
        "thanks": {"type": "send", "campaign_id": campaign_id, "data_key": "thanks", "next": "remember"},
        "remember": {"type": "update", "body": '{"last_order_total": {{ journey.order.total }}}', "next": "wait"},
        "wait": {"type": "delay", "duration": "1 second", "next": "done"},
        "done": {"type": "exit"},
    }  # fmt: skip


async def import_csv(api: httpx.AsyncClient, project: ProjectKeys, path: str, content: str) -> httpx.Response:
    return await api.post(
        project.admin(path), files={"file": ("users.csv", content.encode(), "text/csv")}, headers=project.secret
    )


async def enter(
    sessions: SessionFactory, env: WorkflowEnvironment, task_queue: str, journey_id: str, user_id: str
) -> str:
    """Admit the user exactly as the event pipeline does, and start the run on the time-skipping server."""
    async with Dispatch(sessions, env.client, task_queue).open() as work:
        journey = await work.session.get(Journey, uuid.UUID(journey_id))
        assert journey is not None and journey.published_version is not None
        version = await published(work.session, journey.id, journey.published_version)
        entrance, at = version.definition.entrances[0], await env.get_current_time()
        run = await admit(work, journey, version, entrance, uuid.UUID(user_id), {}, at=at)
        assert run is not None
        await walk_admitted(work)
        await work.commit()
    return f"journey/{journey_id}/{user_id}"


async def until(read: Callable[[], Awaitable[Any]], *, equals: Any, seconds: float = 30) -> None:
    """Read again until the value equals `equals`; after `seconds`, assert on the last one."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = await read()
        if value == equals or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert value == equals


PASSWORD = "a long enough password"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def make_account(
    api: httpx.AsyncClient, email: str | None = None, *, instance_admin: bool = False
) -> dict[str, Any]:
    """A team account made with the instance admin key (a fresh address unless given)."""
    body = {"email": email or f"{uuid.uuid4().hex[:10]}@team.example", "password": PASSWORD,
            "instance_admin": instance_admin}  # fmt: skip
    response = await api.post("/api/admin/accounts", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()


class People:
    """Browsers of their own: one cookie jar per person, all on the test's app. Unsafe requests carry the
    app's own Origin, as a browser on its pages would."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api
        self.clients: list[httpx.AsyncClient] = []

    def browser(self, origin: str | None = "http://tempogram.test") -> httpx.AsyncClient:
        headers = {"Origin": origin} if origin else {}
        client = httpx.AsyncClient(transport=self.api._transport, base_url=self.api.base_url, headers=headers)
        self.clients.append(client)
        return client

    async def logged_in(self, email: str, password: str = PASSWORD) -> httpx.AsyncClient:
        client = self.browser()
        response = await client.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return client

    async def member(self, project: "ProjectKeys", role: str) -> tuple[dict[str, Any], httpx.AsyncClient]:
        """A new account with `role` in the project (added with its secret key), logged in."""
        account = await make_account(self.api, None)
        added = await self.api.post(project.admin("/members"), json={"email": account["email"], "role": role},
                                    headers=project.secret)  # fmt: skip
        assert added.status_code == 201, added.text
        return account, await self.logged_in(account["email"])

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()
