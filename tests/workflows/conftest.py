"""The time-skipping Temporal test server, for timers of days and weeks."""

from collections.abc import AsyncIterator

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from core.temporal import SEARCH_ATTRIBUTES
from tests.helpers import BIN


@pytest.fixture
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=str(BIN / "temporal-test-server"))
    # The test server needs the search attributes registered, like any namespace.
    keyword = IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(search_attributes={key.name: keyword for key in SEARCH_ATTRIBUTES})
    )
    yield env
    await env.shutdown()
