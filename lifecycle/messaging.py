"""Testing a provider's connection through its workflow, waiting for the answer."""

import uuid
from datetime import timedelta

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from core.temporal import PROJECT_ID
from domain.messaging.payloads import (
    TEST_PROVIDER_WORKFLOW,
    ProviderTestInput,
    ProviderTestResult,
    provider_test_workflow_id,
)
from lifecycle.calls import RPC_TIMEOUT

# The connection's own timeouts are shorter; this bounds the wait for a worker to take the test.
TEST_TIMEOUT = timedelta(seconds=45)


async def test_provider(client: Client, task_queue: str, job: ProviderTestInput) -> ProviderTestResult:
    result: ProviderTestResult = await client.execute_workflow(
        TEST_PROVIDER_WORKFLOW,
        job,
        id=provider_test_workflow_id(job.provider_id, uuid.uuid4().hex[:12]),
        task_queue=task_queue,
        result_type=ProviderTestResult,
        execution_timeout=TEST_TIMEOUT,
        search_attributes=TypedSearchAttributes([SearchAttributePair(PROJECT_ID, job.project_id)]),
        rpc_timeout=RPC_TIMEOUT,
    )
    return result
