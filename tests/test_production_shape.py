"""The production shape: `tempogram api` and `tempogram worker` as separate processes, two of each,
against an external PostgreSQL and Temporal server (the test session's), as docker-compose runs them
and as users scale past one machine. A worker killed mid-run loses nothing and doubles nothing."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from core.credentials import new_key
from tests.conftest import ADMIN_KEY
from tests.sinks import HttpSink, free_port

BIN = Path(sys.executable).parent
USERS = 120


def wait_for(predicate: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def cluster(database_url: str, temporal_env: WorkflowEnvironment) -> Iterator[tuple[list[str], list[subprocess.Popen]]]:
    """Two API processes and two workers on a task queue of their own; yields the APIs' URLs and the workers."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "TEMPOGRAM_DATABASE_URL": database_url,
        "TEMPOGRAM_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "TEMPOGRAM_TEMPORAL_TASK_QUEUE": f"production-shape-{uuid.uuid4()}",
        "TEMPOGRAM_ADMIN_KEY": ADMIN_KEY,
        "TEMPOGRAM_SIGNING_SECRET": "production-shape-secret",
        "TEMPOGRAM_CREDENTIALS_KEYS": new_key(),
        "TEMPOGRAM_DATABASE_POOL_SIZE": "5",
    }
    ports = [free_port(), free_port()]
    processes = [subprocess.Popen([str(BIN / "tempogram"), "worker"], env=env) for _ in range(2)]
    processes += [
        subprocess.Popen([str(BIN / "tempogram"), "api", "--host", "127.0.0.1", "--port", str(port)], env=env)
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url in urls:
            wait_for(lambda url=url: answers(url))
        yield urls, processes[:2]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()


def test_two_apis_and_two_workers_as_processes_survive_losing_a_worker(cluster, http_sink: HttpSink):
    (api_a, api_b), workers = cluster
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    project = httpx.post(f"{api_a}/api/admin/projects", json={"name": "production"}, headers=admin).json()
    secret = {"Authorization": f"Bearer {project['secret_key']}"}

    def manage(api: str, path: str, body: dict) -> dict:
        response = httpx.post(f"{api}/api/admin/projects/{project['id']}{path}", json=body, headers=secret)
        assert response.status_code in (200, 201), response.text
        return response.json()

    provider = manage(api_a, "/providers", {"name": "hooks", "kind": "webhook"})
    campaigns = [
        manage(api_b, "/campaigns", {"name": step, "channel": "webhook", "provider_id": provider["id"],
                                     "templates": {"en": {"url": f"{http_sink.url}/{step}",
                                                          "body": {"user": "{{ user.external_id }}"}}}})
        for step in ("one", "two")
    ]  # fmt: skip
    steps = {
        "entry": {"type": "entrance", "event": "go", "next": "one"},
        "one": {"type": "send", "campaign_id": campaigns[0]["id"], "next": "pause"},
        "pause": {"type": "delay", "duration": "2 seconds", "next": "two"},
        "two": {"type": "send", "campaign_id": campaigns[1]["id"]},
    }
    journey = manage(api_a, "/journeys", {"name": "two hooks", "steps": steps})
    manage(api_b, f"/journeys/{journey['id']}/publish", {})

    for i in range(USERS):
        body = {"identifier": [{"external_id": f"u{i}"}], "data": {"tier": "gold" if i % 2 else "basic"}}
        api = (api_a, api_b)[i % 2]
        assert httpx.post(f"{api}/api/client/users", json=body, headers=secret).status_code == 200
    for half, api in enumerate((api_a, api_b)):
        events = [{"name": "go", "identifier": [{"external_id": f"u{i}"}], "id": f"go-{i}"}
                  for i in range(half, USERS, 2)]  # fmt: skip
        assert httpx.post(f"{api}/api/client/users/events", json=events, headers=secret).status_code == 202
    bonus = [{"name": "bonus", "match": {"tier": "gold"}, "id": "bonus-1"}]
    assert httpx.post(f"{api_b}/api/client/users/events", json=bonus, headers=secret).status_code == 202

    wait_for(lambda: len(http_sink.requests) > USERS // 3)
    os.kill(workers[0].pid, signal.SIGKILL)

    stats_url = f"{api_a}/api/admin/projects/{project['id']}/journeys/{journey['id']}/stats"
    wait_for(lambda: httpx.get(stats_url, headers=secret).json()["completed"] == USERS, timeout=180)
    # Each send is delivered under one Idempotency-Key, whatever the retries; a receiver honouring
    # it (as webhook receivers do) sees each step once per user.
    keys: dict[tuple[str, str], set[str]] = {}
    for request in http_sink.requests:
        keys.setdefault((request.body["user"], request.path), set()).add(request.headers["Idempotency-Key"])
    assert len(keys) == 2 * USERS
    assert all(len(distinct) == 1 for distinct in keys.values())

    users = f"{api_b}/api/admin/projects/{project['id']}/users"
    for i in range(0, USERS, 7):
        user = httpx.get(f"{users}?external_id=u{i}", headers=secret).json()

        def names(user_id: str = user["id"]) -> list[str]:
            page = httpx.get(f"{users}/{user_id}/events?limit=100", headers=secret).json()["results"]
            return [e["name"] for e in page]

        wait_for(lambda names=names, i=i: names().count("bonus") == i % 2)  # the fan-out, once per gold user
        assert names().count("go") == 1
