"""Starting `event/<project>/<event_id>` workflows: client events from the outbox, system events after
the transaction that recorded them."""

import asyncio
import logging
from collections.abc import Sequence

from temporalio.client import Client
from temporalio.common import Priority, SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from core.temporal import EVENT_NAME, PROJECT_ID, USER_ID
from domain.events.models import Event
from domain.events.payloads import PROCESS_EVENT_WORKFLOW, ProcessEventInput, workflow_id
from lifecycle.calls import BACKGROUND, RPC_TIMEOUT, all_or_first_error

log = logging.getLogger(__name__)


class EventStarter:
    """A start for an id already used is a success: the event was accepted before, and Temporal
    processes it once. At most `concurrency` starts are in flight per process."""

    def __init__(self, client: Client, task_queue: str, concurrency: int = 64) -> None:
        self.client = client
        self.task_queue = task_queue
        self.slots = asyncio.Semaphore(concurrency)

    async def start(self, events: Sequence[ProcessEventInput], *, background: bool = False) -> None:
        """`background` work (bulk membership events, sweeps) runs at a lower Temporal task priority, so a
        large list build does not hold back the events users are sending now."""
        priority = BACKGROUND if background else Priority.default
        await all_or_first_error(self._start_one(event, priority) for event in events)

    async def _start_one(self, event: ProcessEventInput, priority: Priority) -> None:
        attributes = [
            SearchAttributePair(PROJECT_ID, event.project_id),
            SearchAttributePair(EVENT_NAME, event.name),
        ]
        if user_id := event.user_id or event.indexed_user_id:
            attributes.append(SearchAttributePair(USER_ID, user_id))
        async with self.slots, asyncio.timeout(RPC_TIMEOUT.total_seconds()):
            try:
                await self.client.start_workflow(
                    PROCESS_EVENT_WORKFLOW,
                    event,
                    id=workflow_id(event.project_id, event.event_id),
                    task_queue=self.task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    search_attributes=TypedSearchAttributes(attributes),
                    static_summary=event_summary(event),
                    priority=priority,
                    rpc_timeout=RPC_TIMEOUT,
                )
            except WorkflowAlreadyStartedError:
                pass

    async def dispatch_recorded(self, events: Sequence[Event], *, background: bool = False) -> None:
        """Start the pipeline for system events already written to the timeline."""
        await self.start([recorded_input(event) for event in events], background=background)

    async def dispatch_or_leave_to_sweeper(self, events: Sequence[Event]) -> None:
        """Start the pipeline for committed events; if Temporal is unreachable they stay undispatched
        and the sweeper starts them later."""
        try:
            await self.dispatch_recorded(events)
        except Exception:
            log.exception("could not start %d events; the sweeper will retry", len(events))


def event_summary(event: ProcessEventInput) -> str:
    """What the Temporal UI shows for the event's workflow: its name, and whom it is about."""
    if event.identifier:
        about = ", ".join(ref.external_id if ref.source == "default" else f"{ref.source}:{ref.external_id}"
                          for ref in event.identifier[:3])  # fmt: skip
    elif event.match is not None:
        about = f"every {event.entity} matching {event.match}"
    else:
        about = f"{event.entity} {event.user_id or event.organization_id}"
    return f"{event.name} · {about}"[:200]


def recorded_input(event: Event) -> ProcessEventInput:
    return ProcessEventInput(
        project_id=str(event.project_id),
        event_id=str(event.id),
        entity="user" if event.user_id is not None else "organization",
        name=event.name,
        data=event.data,
        source="system" if event.source == "system" else "client",
        occurred_at=event.created_at.isoformat(),
        user_id=str(event.user_id) if event.user_id else None,
        organization_id=str(event.organization_id) if event.organization_id else None,
    )
