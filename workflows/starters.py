"""Starting event workflows from the API and from activities (client side; never imported by workflows)."""

import asyncio
import logging
import time
import uuid
from collections.abc import Coroutine, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
)
from temporalio.common import (
    Priority,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from core.prepared import write_new
from core.temporal import EVENT_NAME, JOURNEY_ID, JOURNEY_STEP, PROJECT_ID, USER_ID
from domain.broadcasts.pipeline import BROADCAST_WORKFLOW, BroadcastInput, broadcast_workflow_id
from domain.events.listeners import heard_events
from domain.events.models import Event
from domain.events.pipeline import PROCESS_EVENT_WORKFLOW, ProcessEventInput, workflow_id
from domain.events.recording import SchemaKey, extract_schema
from domain.events.service import NEW_EVENTS, take_pending_events
from domain.journeys.definition import Entrance, calendar_interval
from domain.journeys.entry import PendingExit, take_pending_exits
from domain.journeys.pipeline import (
    ENTER_LIST_MEMBERS_WORKFLOW,
    EXIT_SIGNAL,
    JOURNEY_RUN_WORKFLOW,
    JourneyRunInput,
    ListEntranceInput,
    entrance_schedule_id,
)
from domain.journeys.service import EntranceSchedules
from domain.journeys.walk import walk_admitted
from domain.lists.pipeline import LIST_RECOMPUTE_WORKFLOW, ListRecomputeInput, recompute_workflow_id
from domain.rules.durations import parse_span
from domain.schedules.pipeline import REPLAN_SCHEDULE_WORKFLOW, ReplanInput, replan_workflow_id

log = logging.getLogger(__name__)

# Every call to Temporal from here has a time limit, so a hung frontend cannot hang a request or a drain.
# (Event starts are also bounded by asyncio: the SDK's deadline does not cover a connection that hangs
# while it is being established.)
RPC_TIMEOUT = timedelta(seconds=10)


async def all_or_first_error(calls: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Runs the calls side by side; the first failure cancels the others and is raised as it is."""
    try:
        async with asyncio.TaskGroup() as group:
            for call in calls:
                group.create_task(call)
    except* Exception as failures:
        raise failures.exceptions[0] from None

# Temporal task priorities run from 1 (first) to 5; unset means 3.
BACKGROUND = Priority(priority_key=4)
# Runs already inside a journey go before new intake: a timer that fired should not wait behind a flood
# of fresh events (their tasks inherit the priority the run was started with).
RUNS = Priority(priority_key=2)


class EventStarter:
    """Starts `event/<project>/<event_id>` workflows. A start for an id already used is a success:
    the event was accepted before, and Temporal processes it once."""

    def __init__(self, client: Client, task_queue: str, concurrency: int = 64) -> None:
        self.client = client
        self.task_queue = task_queue
        self._slots = asyncio.Semaphore(concurrency)
        self._known_schema: set[SchemaKey] = set()

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
        async with self._slots, asyncio.timeout(RPC_TIMEOUT.total_seconds()):
            try:
                await self.client.start_workflow(
                    PROCESS_EVENT_WORKFLOW,
                    event,
                    id=workflow_id(event.project_id, event.event_id),
                    task_queue=self.task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    search_attributes=TypedSearchAttributes(attributes),
                    priority=priority,
                    rpc_timeout=RPC_TIMEOUT,
                )
            except WorkflowAlreadyStartedError:
                pass

    async def dispatch_recorded(self, events: Sequence[Event], *, background: bool = False) -> None:
        """Start the pipeline for system events already written to the timeline."""
        await self.start([recorded_input(event) for event in events], background=background)

    async def commit_and_dispatch(self, session: AsyncSession) -> None:
        """Walk the journey runs the transaction admitted up to their first wait, commit, then start what
        the transaction caused: the pipeline for the system events it emitted, the runs, and exit
        signals for running runs.

        If Temporal is unreachable now, events stay on the timeline marked undispatched and runs stay
        marked not started; the sweeper starts both later, so committed changes are never lost. A lost
        exit signal is raised, so the caller's retry (the event's recording activity) sends it again.
        """
        # Whether anything listens is decided before the walks write the rows of the events emitted so
        # far, so those are written once, already marked; then for what the walks emitted.
        emitted = take_pending_events(session)
        heard = await heard_events(session, emitted)
        runs = await walk_admitted(session, emitted)
        walked_at = time.monotonic()
        walked = take_pending_events(session)
        heard += await heard_events(session, walked)
        await write_new(session, (NEW_EVENTS, emitted + walked))
        pending = await self.settle(session, emitted + walked, heard)
        exits = take_pending_exits(session)
        await session.commit()
        try:
            await asyncio.gather(self.dispatch_recorded(pending), self.start_runs(runs, walked_at=walked_at))
        except Exception:
            log.exception("could not start %d events / %d runs; the sweeper will retry", len(pending), len(runs))
        await asyncio.gather(*(self._signal_exit(exit) for exit in exits))

    async def settle(self, session: AsyncSession, events: Sequence[Event], heard: list[Event]) -> list[Event]:
        """System events nothing listens for (`heard_events` marked them dispatched) are complete once
        written: learn their schema here, in the emitting transaction, and start no workflow for them.
        Returns the events that need the pipeline."""
        for event in events:
            if event.dispatched:
                self._known_schema.update(await extract_schema(session, recorded_input(event), self._known_schema))
        return heard

    async def dispatch_or_leave_to_sweeper(self, events: Sequence[Event]) -> None:
        """Start the pipeline for committed events; if Temporal is unreachable they stay undispatched
        and the sweeper starts them later."""
        try:
            await self.dispatch_recorded(events)
        except Exception:
            log.exception("could not start %d events; the sweeper will retry", len(events))

    async def start_runs(self, runs: Sequence[tuple[str, JourneyRunInput]], *, walked_at: float | None = None) -> None:
        """`walked_at`: when (`time.monotonic()`) the runs' first walks ended; a delay they stand in
        counts from then, not from this start."""
        await asyncio.gather(*(self._start_run(workflow_id, run, walked_at) for workflow_id, run in runs))

    async def _start_run(self, run_workflow_id: str, run: JourneyRunInput, walked_at: float | None) -> None:
        step = run.admitted.at if run.admitted is not None and run.admitted.at else run.entrance_step
        attributes = TypedSearchAttributes(
            [
                SearchAttributePair(PROJECT_ID, run.project_id),
                SearchAttributePair(USER_ID, run.user_id),
                SearchAttributePair(JOURNEY_ID, run.journey_id),
                SearchAttributePair(JOURNEY_STEP, step),
            ]
        )
        since_walk = timedelta(seconds=time.monotonic() - walked_at) if walked_at is not None else timedelta(0)
        delay = first_task_delay(run, since_walk)
        async with self._slots:
            try:
                await self.client.start_workflow(
                    JOURNEY_RUN_WORKFLOW,
                    run,
                    id=run_workflow_id,
                    task_queue=self.task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    search_attributes=attributes,
                    priority=RUNS,
                    start_delay=delay,
                    # Started from the worker process: its first task can go straight to this worker.
                    request_eager_start=delay is None,
                    rpc_timeout=RPC_TIMEOUT,
                )
            except WorkflowAlreadyStartedError:
                pass

    async def _signal_exit(self, exit: PendingExit) -> None:
        """A plain signal, never signal-with-start: notifying a run must not start one."""
        try:
            await self.client.get_workflow_handle(exit.workflow_id).signal(
                EXIT_SIGNAL, exit.request, rpc_timeout=RPC_TIMEOUT
            )
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:  # the run has already ended
                raise


def first_task_delay(run: JourneyRunInput, since_walk: timedelta) -> timedelta | None:
    """A run admitted into a delay, in a journey without `exit_on`, starts when the delay is over: the
    server holds back its first workflow task, so the run costs no timer and no task before then.
    (A plain signal does not end such a start delay, so a journey that exits on events times its
    delays in the workflow, where an `exit_on` signal cuts them short.)"""
    admitted = run.admitted
    if admitted is None or admitted.resume_at is None or run.exit_on:
        return None
    wait = datetime.fromisoformat(admitted.resume_at) - datetime.fromisoformat(admitted.finished_at) - since_walk
    return wait if wait > timedelta(0) else None


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
        rpc_timeout=RPC_TIMEOUT,
    )


async def start_schedule_replan(
    client: Client, task_queue: str, project_id: uuid.UUID, definition_id: uuid.UUID
) -> None:
    """Re-plan a definition's assignments after an offset edit; a newer edit replaces a running re-plan."""
    await client.start_workflow(
        REPLAN_SCHEDULE_WORKFLOW,
        ReplanInput(definition_id=str(definition_id)),
        id=replan_workflow_id(str(definition_id)),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
        search_attributes=TypedSearchAttributes([SearchAttributePair(PROJECT_ID, str(project_id))]),
        rpc_timeout=RPC_TIMEOUT,
    )


async def start_broadcast(client: Client, task_queue: str, broadcast: BroadcastInput) -> str:
    """Start `broadcast/<project>/<broadcast_id>`; it sleeps until its moment, so this returns at once."""
    workflow_id = broadcast_workflow_id(broadcast.project_id, broadcast.broadcast_id)
    await client.start_workflow(
        BROADCAST_WORKFLOW,
        broadcast,
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes([SearchAttributePair(PROJECT_ID, broadcast.project_id)]),
        rpc_timeout=RPC_TIMEOUT,
    )
    return workflow_id


async def cancel_broadcast_workflow(client: Client, project_id: str, broadcast_id: str) -> None:
    try:
        await client.get_workflow_handle(broadcast_workflow_id(project_id, broadcast_id)).cancel(
            rpc_timeout=RPC_TIMEOUT
        )
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise


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


async def stop_runs(client: Client, workflow_ids: Sequence[str], reason: str) -> None:
    """Terminate journey runs whose journey or user was deleted (their rows are gone with it)."""

    async def stop(run_workflow_id: str) -> None:
        try:
            await client.get_workflow_handle(run_workflow_id).terminate(reason=reason, rpc_timeout=RPC_TIMEOUT)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise

    await asyncio.gather(*(stop(w) for w in workflow_ids))


def entrance_schedule_spec(entrance: Entrance) -> ScheduleSpec:
    """A fixed interval (`"7 days"`), or calendar months / years on `start_at`'s day and time (UTC)."""
    assert entrance.interval is not None  # validated at parse
    start = datetime.fromisoformat(entrance.start_at) if entrance.start_at else None
    end = datetime.fromisoformat(entrance.end_at) if entrance.end_at else None
    calendar = calendar_interval(entrance.interval)
    if calendar is None:
        return ScheduleSpec(
            intervals=[ScheduleIntervalSpec(every=parse_span(entrance.interval))], start_at=start, end_at=end
        )
    assert start is not None  # validated at parse
    amount, unit = calendar
    first = start.astimezone(UTC)
    months = (
        [ScheduleRange(first.month)]
        if unit == "year"
        else [ScheduleRange(m) for m in range(1, 13) if (m - first.month) % amount == 0]
    )
    # Every `amount` years from the first (month and day fixed above); any year for months.
    years = [ScheduleRange(first.year, first.year + 100 * amount, amount)] if unit == "year" else []
    when = ScheduleCalendarSpec(
        second=[ScheduleRange(first.second)],
        minute=[ScheduleRange(first.minute)],
        hour=[ScheduleRange(first.hour)],
        day_of_month=[ScheduleRange(first.day)],
        month=months,
        year=years,
    )
    return ScheduleSpec(calendars=[when], start_at=start, end_at=end)


async def sync_entrance_schedules(
    client: Client, task_queue: str, project_id: str, journey_id: str, schedules: EntranceSchedules
) -> None:
    """Create or update the Temporal Schedule of each active recurring list entrance; delete retired ones.
    A fire missed by more than a minute (an outage) is skipped, not replayed."""
    for entrance in schedules.active:
        assert entrance.list_id is not None and entrance.interval is not None  # validated at parse
        schedule = Schedule(
            action=ScheduleActionStartWorkflow(
                ENTER_LIST_MEMBERS_WORKFLOW,
                ListEntranceInput(project_id, journey_id, entrance.id, entrance.list_id),
                id=f"journey/{journey_id}/entrance/{entrance.id}/fire",
                task_queue=task_queue,
                typed_search_attributes=TypedSearchAttributes(
                    [SearchAttributePair(PROJECT_ID, project_id), SearchAttributePair(JOURNEY_ID, journey_id)]
                ),
            ),
            spec=entrance_schedule_spec(entrance),
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(minutes=1)),
        )
        schedule_id = entrance_schedule_id(journey_id, entrance.id)
        try:
            await client.create_schedule(schedule_id, schedule, rpc_timeout=RPC_TIMEOUT)
        except ScheduleAlreadyRunningError:
            replacement = ScheduleUpdate(schedule=schedule)
            await client.get_schedule_handle(schedule_id).update(
                lambda _, new=replacement: new, rpc_timeout=RPC_TIMEOUT
            )
    for step_id in schedules.retired:
        try:
            await client.get_schedule_handle(entrance_schedule_id(journey_id, step_id)).delete(rpc_timeout=RPC_TIMEOUT)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
