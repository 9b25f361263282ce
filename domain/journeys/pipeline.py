"""What crosses the Temporal boundary for journey runs: ids and small JSON, never ORM rows.

Fields are only ever added, with defaults, so histories of running workflows stay readable.
"""

from dataclasses import dataclass, field
from typing import Any

JOURNEY_RUN_WORKFLOW = "JourneyRun"
EXIT_SIGNAL = "exit_requested"

# How a run moves, fixed when it starts and carried in its input (so in its history): runs started
# before walks existed have no `engine` field and replay the one-activity-per-step loop. Chosen at start
# rather than by `workflow.patched`, which costs every new run a marker and a search-attribute upsert.
STEP_BY_STEP = 1
WALKS = 2


def run_workflow_id(journey_id: str, user_id: str, sequence: int) -> str:
    """`journey/<journey_id>/<user_id>` for a user's first run, `…/<n>` for the n-th."""
    base = f"journey/{journey_id}/{user_id}"
    return base if sequence == 1 else f"{base}/{sequence}"


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
    engine: int = STEP_BY_STEP
    # Where the run's first walk, done in the transaction that admitted it, left the run (see
    # `domain.journeys.walk.walk_admitted`); None: the workflow walks from the entrance.
    admitted: RunAdvance | None = None


@dataclass
class ExitRequest:
    """An `exit_on` event for a running run; `event_id` makes duplicates harmless."""

    event_id: str
    event_name: str


@dataclass
class StepInput:
    """Perform one step of a run (record the visit, then do the step's database work)."""

    project_id: str
    journey_id: str
    run_id: str
    user_id: str
    step_id: str
    step: dict[str, Any]
    seq: int
    data: dict[str, Any] = field(default_factory=dict)
    # Decided in the workflow (deterministic on replay) and only recorded here.
    chosen: str | None = None
    # The workflow's clock (ISO 8601): delays are computed from the time the run sees, not the worker's.
    now: str = ""
    # The run's last step (an exit): end the run in the same transaction, with this status.
    finish_status: str | None = None


@dataclass
class StepOutcome:
    passed: bool | None = None  # gates
    resume_at: str | None = None  # delays, and balancers over their limit (ISO 8601)
    chosen: str | None = None  # balancers
    result: Any = None  # stored under the step's data_key
    stop: str | None = None  # the run must end: "missing" when the user is gone


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
