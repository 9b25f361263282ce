"""One user's run through a journey: a durable loop around the pure journey engine.

The run walks from wait to wait: each stretch of steps the database and a message provider can do
(gates, updates, events, experiments, balancers, sends, exits) is one local activity; an HTTP action
is a regular activity with its own retries. Delays are durable timers that an `exit_on` signal cuts
short, and a skip signal ends early.
"""

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.journeys import JourneyActivities
    from activities.messaging import MessagingActivities
    from core.temporal import JOURNEY_STEP
    from domain.journeys.definition import Action, Definition, parse_definition
    from domain.journeys.engine import next_step
    from domain.journeys.payloads import (
        EXIT_SIGNAL,
        JOURNEY_RUN_WORKFLOW,
        SKIP_WAIT_SIGNAL,
        AdvanceInput,
        ExitRequest,
        FinishInput,
        JourneyRunInput,
        JourneyRunResult,
        RunAdvance,
        SkipWaitRequest,
    )
    from domain.messaging.payloads import ActionInput
    from workflows.policies import (
        DATABASE_RETRY,
        LOCAL_RETRY_THRESHOLD,
        PROVIDER_RETRY,
        STEP,
        TRANSACTION,
        WALK,
        WALK_RETRY,
    )


@workflow.defn(name=JOURNEY_RUN_WORKFLOW)
class JourneyRun:
    def __init__(self) -> None:
        self._exit: ExitRequest | None = None
        self._seen: set[str] = set()
        self._step: str | None = None
        # When the last walk ended: later than `workflow.now()` while the same workflow task goes on.
        self._walked_until: datetime | None = None
        # A wait someone ended early: the step whose wait it was (checked when waiting there).
        self._skip_at: str | None = None

    @workflow.signal(name=EXIT_SIGNAL)
    def exit_requested(self, request: ExitRequest) -> None:
        """The user did an `exit_on` event. Duplicates (redelivered signals) are dropped."""
        if request.event_id in self._seen:
            return
        self._seen.add(request.event_id)
        if self._exit is None:
            self._exit = request

    @workflow.signal(name=SKIP_WAIT_SIGNAL)
    def skip_wait(self, request: SkipWaitRequest) -> None:
        """Go on at once if the run waits at `request.step` (now, or once it gets there in this task)."""
        self._skip_at = request.step

    @workflow.query
    def current_step(self) -> str | None:
        return self._step

    @workflow.run
    async def run(self, run: JourneyRunInput) -> JourneyRunResult:
        self._seen.update(run.seen_signals)
        definition = parse_definition(run.steps, run.exit_on)
        if run.start_delay_seconds > 0 and await self._wait(timedelta(seconds=run.start_delay_seconds)):
            return await self._finish(run, "exited", run.entrance_step, self._exit_reason())

        if run.admitted is not None:  # walked to its first wait in the transaction that admitted it
            self._step = run.admitted.at  # its search attribute was set at start
            workflow.set_current_details(f"at step {run.admitted.at}")
            return await self._walk(run, definition, run.admitted.at, run.admitted)
        step_id = run.resume_step or next_step(definition.steps[run.entrance_step])
        return await self._walk(run, definition, step_id)

    async def _walk(
        self, run: JourneyRunInput, definition: Definition, step_id: str | None, advance: RunAdvance | None = None
    ) -> JourneyRunResult:
        """Each stretch of steps between two waits is one local activity (the sends on it included),
        rather than one activity per step: measured, the worker's CPU per run is what limits throughput.
        `advance`: where a walk already left the run (its first, done at admission)."""
        waited = run.resume_waited
        while True:
            if self._exit is not None:
                return await self._finish(run, "exited", step_id, self._exit_reason())
            if advance is None:
                advance = await self._walk_from(run, step_id, waited)
            run.visits, run.data = advance.visits, advance.data
            self._walked_until = datetime.fromisoformat(advance.finished_at) if advance.finished_at else None
            self._show(advance.at)
            if advance.ended is not None:
                return JourneyRunResult(status=advance.ended, last_step=advance.at)
            if advance.perform == "action" and advance.at is not None:
                await self._act(run, definition, advance.at)
            waited = False
            then, resume_at = advance.then, advance.resume_at
            advance = None
            if resume_at is not None:
                if await self._wait_until(datetime.fromisoformat(resume_at)):
                    return await self._finish(run, "exited", self._step, self._exit_reason())
                waited = True
            step_id = then
            if workflow.info().is_continue_as_new_suggested() and step_id is not None:
                await workflow.wait_condition(workflow.all_handlers_finished)
                run.resume_step, run.resume_waited, run.seen_signals = step_id, waited, sorted(self._seen)
                run.start_delay_seconds, run.admitted = 0, None  # already waited, already walked
                workflow.continue_as_new(run)

    async def _walk_from(self, run: JourneyRunInput, step_id: str | None, waited: bool) -> RunAdvance:
        """One walk, a local activity: the steps the database and a message provider can do, to the next wait."""
        return await workflow.execute_local_activity_method(
            JourneyActivities.advance_run,
            AdvanceInput(
                run.project_id,
                run.journey_id,
                run.run_id,
                run.user_id,
                run.steps,
                step_id,
                run.visits,
                run.data,
                now=self._now().isoformat(),
                waited=waited,
            ),
            start_to_close_timeout=WALK,
            retry_policy=WALK_RETRY,
            local_retry_threshold=LOCAL_RETRY_THRESHOLD,
        )

    def _show(self, step_id: str | None) -> None:
        """Keep the `JourneyStep` search attribute on the step the run stands at."""
        if step_id is not None and step_id != self._step:
            self._step = step_id
            workflow.upsert_search_attributes([JOURNEY_STEP.value_set(step_id)])
            workflow.set_current_details(f"at step {step_id}")

    async def _act(self, run: JourneyRunInput, definition: Definition, step_id: str) -> None:
        """An HTTP action: a regular activity with its own retries; its response goes under `data_key`."""
        step = definition.steps[step_id]
        assert isinstance(step, Action)
        result = await workflow.execute_activity_method(
            MessagingActivities.run_action,
            ActionInput(run.project_id, run.run_id, run.user_id, step_id, run.visits, run.steps[step_id], run.data),
            start_to_close_timeout=STEP,
            retry_policy=PROVIDER_RETRY,
        )
        if step.data_key:
            run.data[step.data_key] = result.as_data()

    async def _wait(self, duration: timedelta) -> bool:
        """Sleep on a durable timer; True if an `exit_on` event ended the wait first. A skip of this
        step's wait ends it as the timer would."""
        if duration > timedelta(0):
            try:
                await workflow.wait_condition(lambda: self._exit is not None or self._skipped(), timeout=duration)
            except TimeoutError:
                pass
        return self._exit is not None

    def _skipped(self) -> bool:
        return self._skip_at is not None and self._skip_at == self._step

    def _now(self) -> datetime:
        """`workflow.now()` is when the workflow task started; the walks since then took time too."""
        return max(workflow.now(), self._walked_until) if self._walked_until else workflow.now()

    async def _wait_until(self, resume_at: datetime) -> bool:
        """Sleep until `resume_at`; True if an `exit_on` event ended the wait first. Should a timer end
        early all the same (the worker's and the server's clocks apart), another waits out the rest."""
        remaining = resume_at - self._now()
        while remaining > timedelta(0) and not self._skipped():
            if await self._wait(remaining):
                return True
            remaining = resume_at - self._now()
        self._skip_at = None
        return self._exit is not None

    def _exit_reason(self) -> str:
        if self._exit is None:
            return "exit"
        return self._exit.reason or f"exit_on {self._exit.event_name}"

    async def _finish(
        self, run: JourneyRunInput, status: str, step_id: str | None, reason: str | None
    ) -> JourneyRunResult:
        await workflow.execute_local_activity_method(
            JourneyActivities.finish_run,
            FinishInput(run.project_id, run.journey_id, run.run_id, run.user_id, status, step_id, reason),
            start_to_close_timeout=TRANSACTION,
            retry_policy=DATABASE_RETRY,
        )
        return JourneyRunResult(status=status, last_step=step_id)
