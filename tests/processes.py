"""The production processes as the tests start them: `tempogram api` and `tempogram worker` against the
session's PostgreSQL and Temporal server, configured only by `TEMPOGRAM_*` variables."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from core.credentials import new_key
from tests.helpers import ADMIN_KEY
from tests.sinks import free_port

BIN = Path(sys.executable).parent


def process_env(database_url: str, temporal_env: WorkflowEnvironment, name: str) -> dict[str, str]:
    """Settings for processes that share a task queue of their own (named after `name`)."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "TEMPOGRAM_DATABASE_URL": database_url,
        "TEMPOGRAM_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "TEMPOGRAM_TEMPORAL_TASK_QUEUE": f"{name}-{uuid.uuid4()}",
        "TEMPOGRAM_ADMIN_KEY": ADMIN_KEY,
        "TEMPOGRAM_SIGNING_SECRET": f"{name}-secret",
        "TEMPOGRAM_CREDENTIALS_KEYS": new_key(),
        "TEMPOGRAM_DATABASE_POOL_SIZE": "5",
    }


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "tempogram"), "worker"], env=env)


def start_api(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """A `tempogram api` process on a free port, and its base URL once it answers its health check."""
    port = free_port()
    process = subprocess.Popen([str(BIN / "tempogram"), "api", "--host", "127.0.0.1", "--port", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not healthy(url):
        assert process.poll() is None, f"the API exited with {process.returncode}"
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.2)
    return process, url


def wait_for(predicate: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to all, then wait for each (a worker lets its running activities finish)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
