"""What crosses the Temporal boundary for a message or an HTTP action: ids and small JSON, never ORM rows."""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SendInput:
    project_id: str
    run_id: str
    user_id: str
    step_id: str
    seq: int
    campaign_id: str
    data: dict[str, Any] = field(default_factory=dict)
    # A send outside a journey run (a broadcast) names its own key.
    idempotency_key: str = ""
    # The journey whose run sends it ("" outside one): its engagement is counted for the journey too.
    journey_id: str = ""

    @property
    def key(self) -> str:
        """The idempotency key of this send: one per run and step visit."""
        return self.idempotency_key or f"{self.run_id}/{self.step_id}/{self.seq}"


@dataclass
class ActionInput:
    project_id: str
    run_id: str
    user_id: str
    step_id: str
    seq: int
    step: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ActionResult:
    """An HTTP action's response (or why it was skipped), kept under the step's `data_key`."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    skipped: str | None = None

    def as_data(self) -> dict[str, Any]:
        if self.skipped is not None:
            return {"status": None, "skipped": self.skipped}
        return {"status": self.status, "headers": self.headers, "body": self.body}


TEST_PROVIDER_WORKFLOW = "TestProvider"


def provider_test_workflow_id(provider_id: str, test_id: str) -> str:
    return f"provider/{provider_id}/test/{test_id}"


@dataclass
class ProviderTestInput:
    project_id: str
    provider_id: str
    to: str | None = None
    # A campaign's test send: the campaign (or its unsaved `templates`) rendered for `user_id` with
    # `journey` data, sent to `to` through its provider, recorded nowhere. Rendered in the activity, so no
    # history holds the message or its signed links.
    campaign_id: str | None = None
    user_id: str | None = None
    templates: dict[str, Any] | None = None
    journey: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProviderTestResult:
    ok: bool
    answer: str
    sent: bool = False
