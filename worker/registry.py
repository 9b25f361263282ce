"""What a Tempogram worker runs; shared by the worker process, the tests and the replay test."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client

import domain.tables  # noqa: F401 - every mapped table, so foreign keys resolve in this process
from activities.events import EventActivities
from core.db import SessionFactory
from workflows.process_event import ProcessEvent
from workflows.starters import EventStarter
from workflows.sweep_stranded_events import SweepStrandedEvents

WORKFLOWS: Sequence[type] = (ProcessEvent, SweepStrandedEvents)


@dataclass
class WorkerDeps:
    client: Client
    sessions: SessionFactory
    task_queue: str


def build_activities(deps: WorkerDeps) -> list[Callable[..., Any]]:
    events = EventActivities(deps.sessions, EventStarter(deps.client, deps.task_queue))
    return [events.record_event, events.deliver_match_page, events.redispatch_stranded_events]
