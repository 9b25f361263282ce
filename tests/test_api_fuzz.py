"""Property-based fuzzing of the whole OpenAPI surface against a real `tempogram api` process (the test
session's PostgreSQL and Temporal behind it): no input may produce a 5xx, and every answer must match
what the document declares (status, content type, schema). Bounded to a few examples per operation."""

import os
from collections.abc import Iterator

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

from tests.helpers import ADMIN_KEY
from tests.processes import process_env, start_api, stop

EXAMPLES_PER_OPERATION = int(os.environ.get("TEMPOGRAM_FUZZ_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def served(database_url: str, temporal_env: WorkflowEnvironment) -> Iterator[tuple[str, dict[str, str]]]:
    """A `tempogram api` process, and a project its requests act on: (base URL, the project's keys)."""
    process, base = start_api(process_env(database_url, temporal_env, "fuzz"))
    try:
        admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
        project = httpx.post(f"{base}/api/admin/projects", json={"name": "fuzz"}, headers=admin).json()
        yield base, project
    finally:
        stop([process])


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
            case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {key}"}, checks=checks, timeout=30)

        try:
            fuzz()
        except BaseException as failure:  # every operation is tried; all failures are reported together
            if isinstance(failure, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {str(failure)[:1500]}")
    assert not failures, "\n\n".join(failures)
