"""What crosses the Temporal boundary for schedules. Fields are only ever added, with defaults."""

from dataclasses import dataclass, field

from domain.events.payloads import PendingEventsInput

FIRE_DUE_SCHEDULES_WORKFLOW = "FireDueSchedules"
REPLAN_SCHEDULE_WORKFLOW = "ReplanSchedule"
# The built-in yearly schedule of every user and organization.
ANNIVERSARY_EVENT = "scheduled.anniversary"


@dataclass
class Tick:
    """One pass of the dispatcher. `as_of` (ISO) fixes the clock (tests, replays); empty means now."""

    as_of: str = ""
    batch_size: int = 1000
    # Batches claimed side by side (SKIP LOCKED keeps them apart).
    lanes: int = 4
    catch_up_seconds: int = 3600
    # Start the per-event workflow for every fire (each visible in the Temporal UI under its UserId and
    # EventName), not only for fires a list, journey or run listens for.
    every_fire_a_workflow: bool = False


@dataclass
class FireBatchInput:
    as_of: str
    batch_size: int
    catch_up_seconds: int
    every_fire_a_workflow: bool = False


@dataclass
class FireBatchResult:
    claimed: int
    fired: int
    skipped: int = 0


@dataclass
class TickResult:
    fired: int = 0
    skipped: int = 0
    anniversaries: int = 0


@dataclass
class AnniversaryInput:
    as_of: str
    catch_up_seconds: int


@dataclass
class AnniversaryResult:
    fired: int
    # False while the sweep is behind `as_of` (after an outage it works off in stretches).
    caught_up: bool


@dataclass
class ReplanInput:
    """Re-plan every assignment of a definition whose offsets changed."""

    definition_id: str
    as_of: str = ""


def replan_workflow_id(definition_id: str) -> str:
    return f"schedule/{definition_id}/replan"


SYSTEM_CLOCK_WORKFLOW = "SystemClock"
SYSTEM_CLOCK_ID = "tempogram/system-clock"


@dataclass
class SystemClockInput:
    """The one long-lived workflow behind Tempogram's own periodic work: a schedule tick every
    `tick_seconds`, the stranded-work sweep and the time-based lists' refresh every minute."""

    tick: Tick = field(default_factory=Tick)
    tick_seconds: int = 5
    sweep: PendingEventsInput = field(default_factory=PendingEventsInput)
    list_refresh_max_interval_seconds: int = 86_400
    # Stop after this many ticks (tests, replays); None: run for ever, continuing as new.
    rounds: int | None = None
