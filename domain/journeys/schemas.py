import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from domain.wire import ManagementModel, OutModel


class JourneyIn(ManagementModel):
    """A journey's editable definition: steps keyed by id and journey-level `exit_on`."""

    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=2000)
    steps: dict[str, Any]
    exit_on: list[Any] = Field(default_factory=list)


class JourneyOut(OutModel):
    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    description: str | None
    status: str  # draft | live | paused
    published_version: int | None
    steps: dict[str, Any]
    exit_on: list[Any]
    created_at: datetime
    updated_at: datetime


class StepVisitOut(OutModel):
    step_id: str
    entered_at: datetime
    # What the step did, once done: a send's status and reason, an action's response.
    result: dict[str, Any] | None = None
    # Where it led, once done (a gate's yes or no step, a balancer's path); None: nowhere, or not yet.
    next: str | None = None
    # A gate's answer: each condition, whether it held, and the value it saw then.
    gate: dict[str, Any] | None = None


class RunOut(OutModel):
    id: uuid.UUID
    workflow_id: str
    user_id: uuid.UUID
    version: int
    status: str
    entrance_step: str
    current_step: str | None
    exit_reason: str | None
    created_at: datetime
    ended_at: datetime | None
    history: list[StepVisitOut] = Field(default_factory=list)


class JourneyStats(OutModel):
    entered: int
    active: int
    completed: int
    exited: int
    steps: dict[str, int]  # step id → times runs reached it
    waiting: dict[str, int] = Field(default_factory=dict)  # step id → open runs standing there now
    exited_at: dict[str, int] = Field(default_factory=dict)  # step id → runs that exited there


class VersionOut(OutModel):
    """A published version, with the runs that entered with it (they keep it) and how many are inside."""

    version: int
    published_at: datetime
    steps: dict[str, Any]
    exit_on: list[Any]
    runs: int
    open_runs: int


class UserRunOut(OutModel):
    """One of a user's runs, in any journey."""

    journey_id: uuid.UUID
    journey_name: str
    workflow_id: str
    version: int
    status: str
    current_step: str | None
    created_at: datetime
    ended_at: datetime | None


class TrialIn(ManagementModel):
    """A journey tried on one user: the saved draft, or `steps` (unsaved edits) with their `exit_on`."""

    user_id: uuid.UUID
    steps: dict[str, Any] | None = None
    exit_on: list[Any] = Field(default_factory=list)
    entrance: str | None = Field(default=None, min_length=1, max_length=100, description="an entrance step id")
    # The run's journey data, as the entering event would bring it (`{"order": {...}}`).
    data: dict[str, Any] = Field(default_factory=dict)


class TrialStepOut(OutModel):
    step_id: str
    type: str
    says: str
    next: str | None
    gate: dict[str, Any] | None


class TrialOut(OutModel):
    enters: bool
    steps: list[TrialStepOut]
    ends: str
