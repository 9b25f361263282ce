"""What a Tempogram worker runs; shared by the worker process, the tests and the replay test."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client
from temporalio.worker import WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import domain.tables  # noqa: F401 - every mapped table, so foreign keys resolve in this process
from activities.events import EventActivities
from activities.lists import ListActivities
from core.db import SessionFactory
from workflows.list_recompute import DispatchListEvents, ListRecompute, RefreshTimeBasedLists
from workflows.process_event import ProcessEvent
from workflows.starters import EventStarter
from workflows.sweep_stranded_events import SweepStrandedEvents

WORKFLOWS: Sequence[type] = (
    ProcessEvent,
    SweepStrandedEvents,
    ListRecompute,
    DispatchListEvents,
    RefreshTimeBasedLists,
)


@dataclass
class WorkerDeps:
    client: Client
    sessions: SessionFactory
    task_queue: str


def workflow_runner() -> WorkflowRunner:
    """The sandbox still rejects non-deterministic calls in workflow code, but our modules are trusted
    and imported once rather than on every run: measured, this cuts the worker's CPU per event."""
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_all_modules())


def build_activities(deps: WorkerDeps) -> list[Callable[..., Any]]:
    starter = EventStarter(deps.client, deps.task_queue)
    events = EventActivities(deps.sessions, starter)
    lists = ListActivities(deps.sessions, starter)
    return [
        events.record_event,
        events.deliver_match_page,
        events.dispatch_pending_events,
        lists.recompute_list_page,
        lists.recompute_organization_members,
        lists.start_due_list_refreshes,
    ]
