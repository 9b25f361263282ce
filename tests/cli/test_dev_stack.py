"""`tempogram dev` as a user runs it: separate processes, real ports, data kept across restarts."""

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
ADMIN = "cli-test-admin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_stack(data_dir: Path, ports: dict[str, int]) -> subprocess.Popen[str]:
    command = [
        str(BIN / "tempogram"),
        "dev",
        "--data-dir",
        str(data_dir),
        "--api-port",
        str(ports["api"]),
        "--temporal-port",
        str(ports["temporal"]),
        "--ui-port",
        str(ports["ui"]),
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={"PATH": str(BIN), "TEMPOGRAM_ADMIN_KEY": ADMIN, "HOME": str(data_dir)},
    )
    assert process.stdout is not None
    banner = []
    deadline = time.monotonic() + 90
    for line in process.stdout:
        banner.append(line)
        if "Press Ctrl+C to stop." in line or time.monotonic() > deadline:
            break
    text = "".join(banner)
    assert f"http://127.0.0.1:{ports['api']}/docs" in text, text
    assert f"http://127.0.0.1:{ports['ui']}" in text, text
    return process


def stop_stack(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0


def wait_for(predicate: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_dev_stack_runs_everything_and_keeps_data(tmp_path: Path):
    ports = {"api": free_port(), "temporal": free_port(), "ui": free_port()}
    base = f"http://127.0.0.1:{ports['api']}"
    process = start_stack(tmp_path / "data", ports)
    try:
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok", "database": "ok", "temporal": "ok"}
        project = httpx.post(
            f"{base}/api/admin/projects", json={"name": "cli"}, headers={"Authorization": f"Bearer {ADMIN}"}
        ).json()
        public = {"Authorization": f"Bearer {project['public_key']}"}
        secret = {"Authorization": f"Bearer {project['secret_key']}"}
        posted = httpx.post(
            f"{base}/api/client/users/events",
            headers=public,
            json=[{"name": "signup", "identifier": [{"external_id": "cli-user"}]}],
        )
        assert posted.status_code == 202
        user_url = f"{base}/api/admin/projects/{project['id']}/users?external_id=cli-user"
        wait_for(lambda: httpx.get(user_url, headers=secret).status_code == 200)
        user_id = httpx.get(user_url, headers=secret).json()["id"]
        events_url = f"{base}/api/admin/projects/{project['id']}/users/{user_id}/events"
        wait_for(lambda: "signup" in [e["name"] for e in httpx.get(events_url, headers=secret).json()["results"]])
        assert httpx.get(f"http://127.0.0.1:{ports['ui']}/").status_code == 200

        # The worker installed the dispatcher's Temporal Schedule: a schedule due now fires within a tick.
        soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
        body = {"name": "ping", "identifier": [{"external_id": "cli-user"}], "scheduled_at": soon}
        assert httpx.post(f"{base}/api/client/users/scheduled", headers=public, json=body).status_code == 202
        wait_for(
            lambda: "scheduled.ping" in [e["name"] for e in httpx.get(events_url, headers=secret).json()["results"]]
        )
    finally:
        stop_stack(process)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", ports["api"])) != 0, "the API stopped with the stack"

    process = start_stack(tmp_path / "data", ports)
    try:
        again = httpx.get(events_url, headers=secret)
        assert again.status_code == 200, "keys and data survived the restart"
        assert "signup" in [e["name"] for e in again.json()["results"]]
    finally:
        stop_stack(process)
