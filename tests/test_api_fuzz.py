"""Property-based fuzzing of the whole OpenAPI surface against a real `tempogram api` process (the test
session's PostgreSQL and Temporal behind it): no input may produce a 5xx, and every answer must match
what the document declares (status, content type, schema). Bounded to a few examples per operation."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from temporalio.testing import WorkflowEnvironment

from core.credentials import new_key
from tests.conftest import ADMIN_KEY
from tests.sinks import free_port

BIN = Path(sys.executable).parent
EXAMPLES_PER_OPERATION = int(os.environ.get("TEMPOGRAM_FUZZ_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def served(database_url: str, temporal_env: WorkflowEnvironment) -> Iterator[tuple[str, dict[str, str]]]:
    """A `tempogram api` process, and a project its requests act on: (base URL, the project's keys)."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "TEMPOGRAM_DATABASE_URL": database_url,
        "TEMPOGRAM_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "TEMPOGRAM_TEMPORAL_TASK_QUEUE": f"fuzz-{uuid.uuid4()}",
        "TEMPOGRAM_ADMIN_KEY": ADMIN_KEY,
        "TEMPOGRAM_SIGNING_SECRET": "fuzz-secret",
        "TEMPOGRAM_CREDENTIALS_KEYS": new_key(),
        "TEMPOGRAM_DATABASE_POOL_SIZE": "5",
    }
    port = free_port()
    process = subprocess.Popen([str(BIN / "tempogram"), "api", "--host", "127.0.0.1", "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the API did not start"
            time.sleep(0.2)
        admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
        project = httpx.post(f"{base}/api/admin/projects", json={"name": "fuzz"}, headers=admin).json()
        yield base, project
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_no_input_is_a_server_error_and_every_answer_is_documented(served: tuple[str, dict[str, str]]):
    base, project = served
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures: list[str] = []

    for found in schema.get_all_operations():
        operation = found.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case: schemathesis.Case) -> None:
            # Aim at a real project with its secret key, so requests reach past authentication.
            if "project_id" in (case.path_parameters or {}):
                case.path_parameters["project_id"] = project["id"]
            instance_admin = case.path == "/api/admin/projects"
            key = ADMIN_KEY if instance_admin else project["secret_key"]
            case.call_and_validate(
                base_url=base, headers={"Authorization": f"Bearer {key}"}, checks=checks, timeout=30
            )

        try:
            fuzz()
        except BaseException as failure:  # every operation is tried; all failures are reported together
            if isinstance(failure, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {str(failure)[:1500]}")
    assert not failures, "\n\n".join(failures)
