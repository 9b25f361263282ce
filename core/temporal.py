"""The Temporal client, and the search attributes every Tempogram run carries."""

from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from core.config import Settings

PROJECT_ID = SearchAttributeKey.for_keyword("ProjectId")
USER_ID = SearchAttributeKey.for_keyword("UserId")
JOURNEY_ID = SearchAttributeKey.for_keyword("JourneyId")
EVENT_NAME = SearchAttributeKey.for_keyword("EventName")
JOURNEY_STEP = SearchAttributeKey.for_keyword("JourneyStep")

SEARCH_ATTRIBUTES = (PROJECT_ID, USER_ID, JOURNEY_ID, EVENT_NAME, JOURNEY_STEP)

# Workflow and activity inputs and results as JSON, by pydantic-core (the SDK's own contrib converter)
# rather than the SDK's default: the same JSON, ten times less CPU (measured on a journey run's input:
# encode 233 -> 22 us, decode 364 -> 55 us), and every run passes several such payloads.
DATA_CONVERTER: DataConverter = pydantic_data_converter


async def connect_client(settings: Settings) -> Client:
    """Connect with the one data converter shared by the API, the worker and the tests."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        tls=settings.temporal_tls or bool(settings.temporal_api_key),
        api_key=settings.temporal_api_key,
        data_converter=DATA_CONVERTER,
    )
