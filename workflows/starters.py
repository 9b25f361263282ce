"""Starting event workflows from the API and from activities (client side; never imported by workflows)."""

import asyncio
import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import (
    Priority,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from core.temporal import EVENT_NAME, PROJECT_ID, USER_ID
from domain.events.models import Event
from domain.events.pipeline import PROCESS_EVENT_WORKFLOW, ProcessEventInput, workflow_id
from domain.events.service import take_pending_events
from domain.lists.pipeline import LIST_RECOMPUTE_WORKFLOW, ListRecomputeInput, recompute_workflow_id

log = logging.getLogger(__name__)

# Temporal task priorities run from 1 (first) to 5; unset means 3.
BACKGROUND = Priority(priority_key=4)


class EventStarter:
    """Starts `event/<project>/<event_id>` workflows. A start for an id already used is a success:
    the event was accepted before, and Temporal processes it once."""

    def __init__(self, client: Client, task_queue: str, concurrency: int = 64) -> None:
        self.client = client
        self.task_queue = task_queue
        self._slots = asyncio.Semaphore(concurrency)

    async def start(self, events: Sequence[ProcessEventInput], *, background: bool = False) -> None:
        """`background` work (bulk membership events, sweeps) runs at a lower Temporal task priority, so a
        large list build does not hold back the events users are sending now."""
        priority = BACKGROUND if background else Priority.default
        await asyncio.gather(*(self._start_one(event, priority) for event in events))

    async def _start_one(self, event: ProcessEventInput, priority: Priority) -> None:
        attributes = [
            SearchAttributePair(PROJECT_ID, event.project_id),
            SearchAttributePair(EVENT_NAME, event.name),
        ]
        if event.user_id:
            attributes.append(SearchAttributePair(USER_ID, event.user_id))
        async with self._slots:
            try:
                await self.client.start_workflow(
                    PROCESS_EVENT_WORKFLOW,
                    event,
                    id=workflow_id(event.project_id, event.event_id),
                    task_queue=self.task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    search_attributes=TypedSearchAttributes(attributes),
                    priority=priority,
                )
            except WorkflowAlreadyStartedError:
                pass

    async def dispatch_recorded(self, events: Sequence[Event], *, background: bool = False) -> None:
        """Start the pipeline for system events already written to the timeline."""
        await self.start([recorded_input(event) for event in events], background=background)

    async def commit_and_dispatch(self, session: AsyncSession) -> None:
        """Commit, then start the pipeline for the system events the transaction emitted.

        If Temporal is unreachable now, the events stay on the timeline marked undispatched and the
        stranded-event sweeper starts them later: committed changes never lose their events.
        """
        pending = take_pending_events(session)
        await session.commit()
        if not pending:
            return
        try:
            await self.dispatch_recorded(pending)
        except Exception:
            log.exception("could not start %d system event workflows; the sweeper will retry", len(pending))


async def start_list_recompute(
    client: Client,
    task_queue: str,
    project_id: str,
    list_id: str,
    version: int,
    *,
    as_of: str = "",
    replace_running: bool = True,
) -> None:
    """Start `list/<list_id>/recompute`. A running recompute is replaced (a new rule version supersedes
    it) or, for periodic refreshes, left to finish."""
    await client.start_workflow(
        LIST_RECOMPUTE_WORKFLOW,
        ListRecomputeInput(project_id=project_id, list_id=list_id, version=version, as_of=as_of),
        id=recompute_workflow_id(list_id),
        task_queue=task_queue,
        id_conflict_policy=(
            WorkflowIDConflictPolicy.TERMINATE_EXISTING if replace_running else WorkflowIDConflictPolicy.USE_EXISTING
        ),
        search_attributes=TypedSearchAttributes([SearchAttributePair(PROJECT_ID, project_id)]),
    )


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
