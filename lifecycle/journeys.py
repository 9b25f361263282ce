"""Starting journey runs, signalling their exits, stopping them, and keeping recurring list entrances'
Temporal Schedules in step with the published journey."""

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

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
    ScheduleUpdateInput,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from core.temporal import JOURNEY_ID, JOURNEY_STEP, PROJECT_ID, USER_ID
from domain.journeys.definition import Entrance, calendar_interval
from domain.journeys.payloads import (
    ENTER_LIST_MEMBERS_WORKFLOW,
    EXIT_SIGNAL,
    JOURNEY_RUN_WORKFLOW,
    JourneyRunInput,
    ListEntranceInput,
    entrance_schedule_id,
)
from domain.journeys.service import EntranceSchedules
from domain.rules.durations import parse_span
from domain.unit_of_work import ExitSignal, RunStart
from lifecycle.calls import RPC_TIMEOUT, RUNS, unless_gone


class RunStarter:
    """Starts `journey/<journey_id>/<user_id>` runs where their first walk left them, and signals the
    exits of running ones."""

    def __init__(self, client: Client, task_queue: str, slots: asyncio.Semaphore) -> None:
        self.client = client
        self.task_queue = task_queue
        self.slots = slots

    async def start(self, runs: Sequence[RunStart]) -> None:
        await asyncio.gather(*(self._start_one(run) for run in runs))

    async def _start_one(self, start: RunStart) -> None:
        run = start.run
        step = run.admitted.at if run.admitted is not None and run.admitted.at else run.entrance_step
        since_walk = timedelta(seconds=time.monotonic() - start.walked_at) if start.walked_at else timedelta(0)
        delay = first_task_delay(run, since_walk)
        async with self.slots:
            try:
                await self.client.start_workflow(
                    JOURNEY_RUN_WORKFLOW,
                    run,
                    id=start.workflow_id,
                    task_queue=self.task_queue,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    search_attributes=run_attributes(run, step),
                    static_summary=start.summary,
                    # Until then the workflow cannot say where it stands: its start options do.
                    static_details=f"waits at step {step} until the delay is over" if delay else None,
                    priority=RUNS,
                    start_delay=delay,
                    # Started from the worker process: its first task can go straight to this worker.
                    request_eager_start=delay is None,
                    rpc_timeout=RPC_TIMEOUT,
                )
            except WorkflowAlreadyStartedError:
                pass

    async def signal_running(self, runs: Sequence[RunStart], signal: str, argument: object) -> int:
        """Signal open runs (the console's bulk actions), waking those whose first workflow task a start
        delay holds back: a signal-with-start dispatches it at once, where a plain signal would wait for
        the delay. A run that ended meanwhile is left alone. Returns how many were signalled."""
        results = await asyncio.gather(*(self._signal_with_start(run, signal, argument) for run in runs))
        return sum(results)

    async def _signal_with_start(self, start: RunStart, signal: str, argument: object) -> bool:
        async with self.slots:
            try:
                await self.client.start_workflow(
                    JOURNEY_RUN_WORKFLOW,
                    start.run,  # used only if the run's workflow was never started (its start was lost)
                    id=start.workflow_id,
                    task_queue=self.task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    search_attributes=run_attributes(start.run, start.run.entrance_step),
                    static_summary=start.summary,
                    start_signal=signal,
                    start_signal_args=[argument],
                    rpc_timeout=RPC_TIMEOUT,
                )
            except WorkflowAlreadyStartedError:  # it ended: nothing to signal
                return False
        return True

    async def signal_exits(self, exits: Sequence[ExitSignal]) -> None:
        """A plain signal, never signal-with-start: notifying a run must not start one."""
        await asyncio.gather(*(self._signal(exit) for exit in exits))

    async def _signal(self, exit: ExitSignal) -> None:
        handle = self.client.get_workflow_handle(exit.workflow_id)
        await unless_gone(handle.signal(EXIT_SIGNAL, exit.request, rpc_timeout=RPC_TIMEOUT))


def run_attributes(run: JourneyRunInput, step: str) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(PROJECT_ID, run.project_id),
            SearchAttributePair(USER_ID, run.user_id),
            SearchAttributePair(JOURNEY_ID, run.journey_id),
            SearchAttributePair(JOURNEY_STEP, step),
        ]
    )


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


async def stop_runs(client: Client, workflow_ids: Sequence[str], reason: str) -> None:
    """Terminate journey runs whose journey or user was deleted (their rows are gone with it)."""
    await asyncio.gather(
        *(
            unless_gone(client.get_workflow_handle(w).terminate(reason=reason, rpc_timeout=RPC_TIMEOUT))
            for w in workflow_ids
        )
    )


def replace_with(schedule: Schedule) -> Callable[[ScheduleUpdateInput], ScheduleUpdate]:
    """A Schedule update that replaces the whole definition, whatever it was."""
    return lambda _: ScheduleUpdate(schedule=schedule)


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
            await client.get_schedule_handle(schedule_id).update(replace_with(schedule), rpc_timeout=RPC_TIMEOUT)
    for step_id in schedules.retired:
        await unless_gone(
            client.get_schedule_handle(entrance_schedule_id(journey_id, step_id)).delete(rpc_timeout=RPC_TIMEOUT)
        )
