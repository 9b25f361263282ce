"""What crosses the Temporal boundary for list recomputation."""

from dataclasses import dataclass

LIST_RECOMPUTE_WORKFLOW = "ListRecompute"
LIST_EVENTS = ("list.user.added", "list.user.removed")


@dataclass
class ListRecomputeInput:
    project_id: str
    list_id: str
    version: int
    after_user_id: str | None = None
    scanned: int = 0
    added: int = 0
    removed: int = 0
    pending: int = 0
    page_size: int = 10_000
    # The instant the rule is evaluated at (relative dates, `within` windows): the workflow's time
    # when it started, so every page sees the same moment and replays agree.
    as_of: str = ""


@dataclass
class ListRecomputePage:
    """The progress after one page; `done` when every user was scanned or the list changed version."""

    after_user_id: str | None
    scanned: int
    added: int
    removed: int
    done: bool
    superseded: bool = False
    # Membership events something listens for, waiting for the list's dispatcher.
    pending: int = 0


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
