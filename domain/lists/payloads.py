"""What crosses the Temporal boundary for list recomputation."""

from dataclasses import dataclass

LIST_RECOMPUTE_WORKFLOW = "ListRecompute"
DISPATCH_LIST_EVENTS_WORKFLOW = "DispatchListEvents"
REFRESH_TIME_BASED_LISTS_WORKFLOW = "RefreshTimeBasedLists"
LIST_EVENTS = ("list.user.added", "list.user.removed")


@dataclass
class ListRecomputeInput:
    project_id: str
    list_id: str
    version: int
    # How the users are walked, chosen at the first page unless given: "blocks" (heap-block ranges of
    # the users table, side by side) when the project holds a large share of the table, "ids" (the
    # project's users in id order, one page at a time) when it holds a small one.
    walk: str = ""
    # Where the next page starts: a heap block (and where the walk ends: the table's size when it
    # started), or the last user id seen; and how many users the project had then (for percent).
    next_block: int = 0
    end_block: int | None = None
    after_user_id: str | None = None
    total_users: int = 0
    scanned: int = 0
    added: int = 0
    removed: int = 0
    pending: int = 0
    # A block walk's pages: at most this many blocks, cut even when the walk is planned.
    page_blocks: int = 8_000
    page_users: int = 10_000
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
    # Where the walk stands, as in ListRecomputeInput. Progress recorded before walks had a kind reads
    # as a walk not yet chosen: it starts over, which a diff makes harmless.
    walk: str = ""
    next_block: int = 0
    end_block: int | None = None
    after_user_id: str | None = None
    total_users: int = 0


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
