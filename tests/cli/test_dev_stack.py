"""`tempogram dev` as a user runs it: separate processes, real ports, data kept across restarts."""

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.processes import healthy, wait_for
from tests.sinks import SmtpSink, free_port

BIN = Path(sys.executable).parent
ADMIN = "cli-test-admin"


class Stack:
    """A running `tempogram dev`: its process and everything it has printed (read as it comes, so a
    full pipe never blocks the stack)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def finished_reading(self) -> None:
        """After the process ended: every line it wrote has been read."""
        self._reader.join(timeout=10)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log(self) -> str:
        return "".join(self.lines)


def start_stack(data_dir: Path, ports: dict[str, int]) -> Stack:
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
    stack = Stack(process)
    wait_for(lambda: "Press Ctrl+C to stop." in stack.log or process.poll() is not None, timeout=90)
    assert f"http://127.0.0.1:{ports['api']}/docs" in stack.log, stack.log
    assert f"http://127.0.0.1:{ports['ui']}" in stack.log, stack.log
    return stack


def stop_stack(stack: Stack) -> None:
    stack.process.send_signal(signal.SIGTERM)
    assert stack.process.wait(timeout=90) == 0


def children(pid: int) -> list[tuple[int, str]]:
    """The direct children of a process, with their command lines."""
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        found.append((int(child), command))
    return found


def child_pid(process: Stack, marker: str) -> int:
    return next(pid for pid, command in children(process.pid) if marker in command)


def test_dev_stack_heals_itself_when_a_part_dies(tmp_path: Path):
    ports = {"api": free_port(), "temporal": free_port(), "ui": free_port()}
    base = f"http://127.0.0.1:{ports['api']}"
    data = tmp_path / "data"
    process = start_stack(data, ports)
    try:
        assert (data / "secrets.json").stat().st_mode & 0o777 == 0o600
        project = httpx.post(
            f"{base}/api/admin/projects", json={"name": "heal"}, headers={"Authorization": f"Bearer {ADMIN}"}
        ).json()
        public = {"Authorization": f"Bearer {project['public_key']}"}
        secret = {"Authorization": f"Bearer {project['secret_key']}"}
        users = f"{base}/api/admin/projects/{project['id']}/users"

        def processed(external_id: str) -> None:
            body = [{"name": "ping", "identifier": [{"external_id": external_id}]}]
            wait_for(lambda: healthy(base), timeout=90)
            assert httpx.post(f"{base}/api/client/users/events", headers=public, json=body).status_code == 202
            wait_for(lambda: httpx.get(f"{users}?external_id={external_id}", headers=secret).status_code == 200, 90)

        postmaster = int((data / "postgres" / "postmaster.pid").read_text().split()[0])
        for name, pid in (
            ("API", child_pid(process, "cli.main api")),
            ("worker", child_pid(process, "worker.main")),
            ("Temporal", child_pid(process, "start-dev")),
            ("PostgreSQL", postmaster),
        ):
            os.kill(pid, signal.SIGKILL)
            processed(f"after-{name}")
    finally:
        stop_stack(process)
    log = process.log
    for name in ("API", "worker 1", "Temporal"):
        assert f"{name} exited with code" in log and f"{name} restarted" in log, log
    assert "PostgreSQL is running again" in log, log


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """This test's own SMTP server: it counts every message it receives."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def test_a_journey_with_two_sends_survives_its_parts_dying(tmp_path: Path, smtp: SmtpSink):
    """While a few hundred users go through a journey with two sends, the worker is stopped, then
    Temporal and PostgreSQL are killed: the stack heals by itself, every accepted event is recorded
    once and every email is sent once. (The worker stops with SIGTERM, as a deployment stops it: a
    kill -9 in the milliseconds between an SMTP server's acceptance and its record would send that
    email again on retry, which SMTP cannot prevent; docs/operations.md.)"""
    users = 300
    ports = {"api": free_port(), "temporal": free_port(), "ui": free_port()}
    base = f"http://127.0.0.1:{ports['api']}"
    data = tmp_path / "data"
    process = start_stack(data, ports)
    try:
        project = httpx.post(
            f"{base}/api/admin/projects", json={"name": "faults"}, headers={"Authorization": f"Bearer {ADMIN}"}
        ).json()
        secret = {"Authorization": f"Bearer {project['secret_key']}"}
        admin = f"{base}/api/admin/projects/{project['id']}"

        def create(path: str, body: dict) -> dict:
            response = httpx.post(f"{admin}{path}", json=body, headers=secret)
            assert response.status_code in (200, 201), response.text
            return response.json()

        config = {"host": "127.0.0.1", "port": smtp.port, "tls": "none", "from": "shop@example.com"}
        provider = create("/providers", {"name": "smtp", "kind": "smtp", "config": config})
        campaigns = [
            create("/campaigns", {"name": name, "channel": "email", "provider_id": provider["id"],
                                  "templates": {"en": {"subject": name, "text": f"{name} {{{{ user.email }}}}"}}})
            for name in ("first", "second")
        ]  # fmt: skip
        steps = {
            "entry": {"type": "entrance", "event": "joined", "next": "first"},
            "first": {"type": "send", "campaign_id": campaigns[0]["id"], "next": "pause"},
            "pause": {"type": "delay", "duration": "3 seconds", "next": "second"},
            "second": {"type": "send", "campaign_id": campaigns[1]["id"], "next": "done"},
            "done": {"type": "exit"},
        }
        journey = create("/journeys", {"name": "faults", "steps": steps})
        create(f"/journeys/{journey['id']}/publish", {})

        for start in range(0, users, 100):
            batch = [{"identifier": [{"external_id": f"u{i}"}], "email": f"u{i}@example.com"}
                     for i in range(start, start + 100)]  # fmt: skip
            for user in batch:
                assert httpx.post(f"{base}/api/client/users", json=user, headers=secret).status_code == 200
            events = [{"name": "joined", "identifier": u["identifier"], "id": f"joined-{u['email']}"} for u in batch]
            assert httpx.post(f"{base}/api/client/users/events", json=events, headers=secret).status_code == 202

        def sent() -> int:
            return len(smtp.messages)

        wait_for(lambda: sent() > 50, timeout=120)
        os.kill(child_pid(process, "worker.main"), signal.SIGTERM)
        wait_for(lambda: sent() > 200, timeout=120)
        os.kill(child_pid(process, "start-dev"), signal.SIGKILL)
        wait_for(lambda: healthy(base) and sent() > 350, timeout=120)
        os.kill(int((data / "postgres" / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)

        def completed() -> bool:
            if not healthy(base):
                return False
            return httpx.get(f"{admin}/journeys/{journey['id']}/stats", headers=secret).json()["completed"] == users

        wait_for(completed, timeout=240)
        stats = httpx.get(f"{admin}/journeys/{journey['id']}/stats", headers=secret).json()
        assert (stats["entered"], stats["completed"]) == (users, users)
        received: dict[str, list[str]] = {}
        for message in smtp.messages:
            received.setdefault(message["To"], []).append(message["Subject"])
        assert len(received) == users
        assert all(sorted(subjects) == ["first", "second"] for subjects in received.values()), received
        for i in (0, users // 2, users - 1):
            user = httpx.get(f"{admin}/users?external_id=u{i}", headers=secret).json()
            timeline = httpx.get(f"{admin}/users/{user['id']}/events?limit=100", headers=secret).json()["results"]
            assert [e["name"] for e in timeline].count("joined") == 1
    finally:
        stop_stack(process)


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
    # Calm: a line per part as it starts, the addresses, and then nothing while all goes well, through
    # requests, a schedule's fire and the stop.
    process.finished_reading()
    said = [line.strip() for line in process.lines if line.strip()]
    running = said.index("Tempogram is running")
    parts = [line.removeprefix("[tempogram dev] ").partition(" started (pid ")[0] for line in said[:running]]
    assert parts == ["Temporal", "worker 1", "worker 2", "API"], said
    assert said[running + 3].startswith("console      http://127.0.0.1:")
    assert said[running + 8].startswith("first login  tempogram accounts create --email")
    assert said[running + 10] == "Press Ctrl+C to stop." and said[running + 11 :] == [
        "[tempogram dev] received SIGTERM; stopping…"
    ], said
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", ports["api"])) != 0, "the API stopped with the stack"

    process = start_stack(tmp_path / "data", ports)
    try:
        again = httpx.get(events_url, headers=secret)
        assert again.status_code == 200, "keys and data survived the restart"
        assert "signup" in [e["name"] for e in again.json()["results"]]
    finally:
        stop_stack(process)
