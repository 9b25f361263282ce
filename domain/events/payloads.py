"""What crosses the Temporal boundary for one event: ids and small JSON, never ORM rows.

Fields are only ever added, with defaults, so histories of running workflows stay readable.
"""

from dataclasses import dataclass, field
from typing import Any, Literal

Entity = Literal["user", "organization"]

# Registered name of the per-event workflow; starters use it so they need not import workflow code.
PROCESS_EVENT_WORKFLOW = "ProcessEvent"
SWEEP_STRANDED_EVENTS_WORKFLOW = "SweepStrandedEvents"


@dataclass
class IdentifierRef:
    external_id: str
    source: str = "default"


@dataclass
class ProcessEventInput:
    """One event entering the pipeline; the workflow ID is `event/<project_id>/<event_id>`."""

    project_id: str
    event_id: str
    entity: Entity
    name: str
    data: dict[str, Any] = field(default_factory=dict)
    source: Literal["client", "system"] = "client"
    occurred_at: str = ""
    # Exactly one way of naming the target: identifiers, a `match` filter, or an id already resolved.
    identifier: list[IdentifierRef] | None = None
    match: dict[str, Any] | None = None
    user_id: str | None = None
    organization_id: str | None = None
    # Where a `match` fan-out continues after continue-as-new.
    fan_out_after_id: str | None = None
    fan_out_delivered: int = 0
    # The user the identifiers named when the workflow was started: its `UserId` search attribute from
    # the start, so the workflow sets it itself only for a new (or since merged) user.
    indexed_user_id: str | None = None


@dataclass
class RecordedEvent:
    """The event as stored: who it belongs to, for the evaluation stages that follow."""

    project_id: str
    event_id: str
    entity: Entity
    name: str
    data: dict[str, Any]
    user_id: str | None
    organization_id: str | None
    # False when the target vanished before processing (deleted user): nothing more to do.
    recorded: bool = True
    # An organization's event that journey entrances listen for: its members enter.
    member_entrances: bool = False


@dataclass
class FanOutPageInput:
    """Deliver a `match` event to the next page of matching entities after `after_id`."""

    event: ProcessEventInput
    after_id: str | None = None
    page_size: int = 500


@dataclass
class FanOutPageResult:
    delivered: int
    last_id: str | None


@dataclass
class ProcessEventResult:
    user_id: str | None = None
    organization_id: str | None = None
    delivered: int = 0


def workflow_id(project_id: str, event_id: str) -> str:
    return f"event/{project_id}/{event_id}"


@dataclass
class PendingEventsInput:
    """Undispatched system events older than `grace_seconds` (optionally one list's membership events)."""

    grace_seconds: int = 60
    limit: int = 1000
    list_id: str | None = None
