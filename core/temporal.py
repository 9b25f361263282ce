"""The Temporal client, and the search attributes every Tempogram run carries."""

from temporalio.client import Client
from temporalio.common import SearchAttributeKey

from core.config import Settings

PROJECT_ID = SearchAttributeKey.for_keyword("ProjectId")
USER_ID = SearchAttributeKey.for_keyword("UserId")
JOURNEY_ID = SearchAttributeKey.for_keyword("JourneyId")
EVENT_NAME = SearchAttributeKey.for_keyword("EventName")
JOURNEY_STEP = SearchAttributeKey.for_keyword("JourneyStep")

SEARCH_ATTRIBUTES = (PROJECT_ID, USER_ID, JOURNEY_ID, EVENT_NAME, JOURNEY_STEP)


async def connect_client(settings: Settings) -> Client:
    """Connect with the one data converter shared by the API, the worker and the tests."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        tls=settings.temporal_tls or bool(settings.temporal_api_key),
        api_key=settings.temporal_api_key,
    )
