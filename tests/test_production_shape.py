"""The production shape: `tempogram api` and `tempogram worker` as separate processes, two of each,
against an external PostgreSQL and Temporal server (the test session's), as docker-compose runs them
and as users scale past one machine. A worker killed mid-run loses nothing and doubles nothing."""

import os
import signal
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.helpers import ADMIN_KEY
from tests.processes import process_env, start_api, start_worker, stop, wait_for
from tests.sinks import HttpSink

USERS = 120


@pytest.fixture
def cluster(database_url: str, temporal_env: WorkflowEnvironment) -> Iterator[tuple[list[str], list[subprocess.Popen]]]:
    """Two API processes and two workers on a task queue of their own; yields the APIs' URLs and the workers."""
    env = process_env(database_url, temporal_env, "production-shape")
    workers = [start_worker(env) for _ in range(2)]
    apis = [start_api(env) for _ in range(2)]
    try:
        yield [url for _, url in apis], workers
    finally:
        stop(workers + [process for process, _ in apis])


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
