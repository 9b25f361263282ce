"""What crosses the Temporal boundary for journey runs: ids and small JSON, never ORM rows.

Fields are only ever added, with defaults, so histories of running workflows stay readable.
"""

from dataclasses import dataclass, field
from typing import Any

JOURNEY_RUN_WORKFLOW = "JourneyRun"
EXIT_SIGNAL = "exit_requested"
SKIP_WAIT_SIGNAL = "skip_wait"


def run_workflow_id(journey_id: str, user_id: str, sequence: int) -> str:
    """`journey/<journey_id>/<user_id>` for a user's first run, `…/<n>` for the n-th."""
    base = f"journey/{journey_id}/{user_id}"
    return base if sequence == 1 else f"{base}/{sequence}"


def run_summary(journey_name: str, user: str, entrance: str) -> str:
    """What the Temporal UI shows for a run: `Order follow-up · ana · from ordered` (its current step is
    the workflow's own details)."""
    return f"{journey_name} · {user} · from {entrance}"[:200]


@dataclass
class RunAdvance:
    """Where a walk left the run. Either it `ended` (finished in the walk's transaction), or it stands
    at step `at`: waiting until `resume_at`, or with an HTTP action to `perform`, before going on at
    `then`."""

    at: str | None
    visits: int
    data: dict[str, Any] = field(default_factory=dict)
    then: str | None = None
    resume_at: str | None = None  # ISO 8601
    perform: str | None = None  # "action"
    ended: str | None = None  # completed | exited
    # When the walk ended, on the workflow's clock (ISO 8601): `now` moved on by the time the walk
    # spent queued and working. A wait that follows counts from here, not from the workflow task's start.
    finished_at: str = ""


@dataclass
class JourneyRunInput:
    """A run, as started: the frozen version's steps travel with it (recorded once, in history)."""

    project_id: str
    journey_id: str
    version: int
    run_id: str
    user_id: str
    entrance_step: str
    steps: dict[str, Any]
    exit_on: list[Any] = field(default_factory=list)
    # `journey.<data_key>`: the entrance data and each keyed step's result.
    data: dict[str, Any] = field(default_factory=dict)
    # Wait this long before the first step (a `scheduled.<name>` entrance with a positive offset).
    start_delay_seconds: float = 0
    # Carried over continue-as-new: where to resume, how many steps were visited, signals already seen.
    resume_step: str | None = None
    visits: int = 0
    seen_signals: list[str] = field(default_factory=list)
    # Carried over continue-as-new: the wait before `resume_step` (a link's delay, a full balancer's
    # window) is already over.
    resume_waited: bool = False
    # Where the run's first walk, done in the transaction that admitted it, left the run (see
    # `domain.journeys.walk.walk_admitted`); None: the workflow walks from the entrance.
    admitted: RunAdvance | None = None


@dataclass
class ExitRequest:
    """An `exit_on` event for a running run; `event_id` makes duplicates harmless. `reason`: what the run
    records instead of `exit_on <event_name>` (a person exiting it from the console)."""

    event_id: str
    event_name: str
    reason: str | None = None


@dataclass
class SkipWaitRequest:
    """Someone ended the wait at `step` early (the console's bulk action on the runs waiting there)."""

    step: str


@dataclass
class AdvanceInput:
    """Walk a run from `start` through every step the database alone performs (sends included)."""

    project_id: str
    journey_id: str
    run_id: str
    user_id: str
    steps: dict[str, Any]
    start: str | None  # None: the path has ended, the run completes
    visits: int  # visits recorded so far; the next visit is `visits + 1`
    data: dict[str, Any] = field(default_factory=dict)
    # The workflow's clock (ISO 8601) when it asked for the walk; the walk moves it on by the time it
    # then spends queued and working (measured on one clock, the worker's).
    now: str = ""
    # The wait the previous walk asked for before `start` is over (a link enters its journey, a full
    # balancer tries its window again under the same visit).
    waited: bool = False


@dataclass
class FinishInput:
    project_id: str
    journey_id: str
    run_id: str
    user_id: str
    status: str  # completed | exited
    step_id: str | None = None
    reason: str | None = None


@dataclass
class OrganizationEntranceInput:
    """An organization event that entrances listen for: enter the organization's members."""

    project_id: str
    organization_id: str
    event_id: str
    event_name: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class JourneyRunResult:
    status: str
    last_step: str | None = None


ENTER_LIST_MEMBERS_WORKFLOW = "EnterListMembers"


def entrance_schedule_id(journey_id: str, step_id: str) -> str:
    """The Temporal Schedule of a recurring list entrance."""
    return f"journey/{journey_id}/entrance/{step_id}"


@dataclass
class ListEntranceInput:
    """A recurring list entrance fired: the list's members enter the journey."""

    project_id: str
    journey_id: str
    entrance_step: str
    list_id: str
    # One id per fire (the scheduled workflow's id): a retried page admits no one twice.
    fire_id: str = ""


@dataclass
class PendingRunsInput:
    """Runs admitted more than `grace_seconds` ago whose workflow never reported in."""

    grace_seconds: int = 60
    limit: int = 1000
