"""What crosses the Temporal boundary for list recomputation."""

from dataclasses import dataclass

LIST_RECOMPUTE_WORKFLOW = "ListRecompute"
LIST_EVENTS = ("list.user.added", "list.user.removed")


@dataclass
class ListRecomputeInput:
    project_id: str
    list_id: str
    version: int
    # Where the next page starts, in heap blocks of the users table, and where the recompute ends (the
    # table's size when it started; unknown until the first page).
    next_block: int = 0
    end_block: int | None = None
    scanned: int = 0
    added: int = 0
    removed: int = 0
    pending: int = 0
    page_blocks: int = 1_000
    # Pages recomputed at once (a page per lane, each its own activity and transaction).
    lanes: int = 2
    record_progress: bool = True
    # The instant the rule is evaluated at (relative dates, `within` windows): the workflow's time
    # when it started, so every page sees the same moment and replays agree.
    as_of: str = ""


@dataclass
class ListRecomputePage:
    """The progress after one page; `done` when every user was scanned or the list changed version."""

    scanned: int
    added: int
    removed: int
    done: bool
    superseded: bool = False
    # Membership events something listens for, waiting for the list's dispatcher.
    pending: int = 0
    # Where the next page starts and where the walk ends, in heap blocks (None in progress recorded
    # before pages were block ranges: the walk then starts over, which a diff makes harmless).
    next_block: int = 0
    end_block: int | None = None


@dataclass
class RecomputeProgressInput:
    list_id: str
    version: int
    as_of: str
    progress: ListRecomputePage


@dataclass
class OrganizationMembersInput:
    project_id: str
    organization_id: str
    trigger: str


@dataclass
class RefreshInput:
    """Start recomputes of time-dependent lists whose refresh is due at `as_of`."""

    as_of: str
    max_interval_seconds: int = 86_400


def recompute_workflow_id(list_id: str) -> str:
    return f"list/{list_id}/recompute"


def dispatch_workflow_id(list_id: str) -> str:
    return f"list/{list_id}/dispatch"
