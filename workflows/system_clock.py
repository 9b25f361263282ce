"""`tempogram/system-clock`: Tempogram's own periodic work in one long-lived workflow, so the Temporal
UI shows users' events and runs, not a new workflow every few seconds. Each tick fires the due
schedules; once a minute it also sweeps stranded work, refreshes time-based lists and folds the charts'
counts. It continues as
new every hour of ticks; a worker that starts replaces it, with the settings of the moment."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.trends import TrendActivities
    from domain.lists.payloads import RefreshInput
    from domain.schedules.payloads import SYSTEM_CLOCK_WORKFLOW, SystemClockInput
    from domain.trends.payloads import FoldInput
    from workflows.fire_schedules import fire_due
    from workflows.list_recompute import refresh_time_based_lists
    from workflows.policies import PAGE
    from workflows.sweep_stranded_events import sweep_stranded

TICKS_PER_RUN = 720
MINUTE = timedelta(minutes=1)


@workflow.defn(name=SYSTEM_CLOCK_WORKFLOW)
class SystemClock:
    @workflow.run
    async def run(self, clock: SystemClockInput) -> int:
        ticks = 0
        minute_due = workflow.now()
        while clock.rounds is None or ticks < clock.rounds:
            await fire_due(clock.tick)
            if workflow.now() >= minute_due:
                await sweep_stranded(clock.sweep)
                await refresh_time_based_lists(RefreshInput("", clock.list_refresh_max_interval_seconds))
                if workflow.patched("fold-trends"):  # clocks started before it replay without it
                    await workflow.execute_local_activity_method(
                        TrendActivities.fold_trends, FoldInput(workflow.now().isoformat()), start_to_close_timeout=PAGE
                    )
                minute_due = workflow.now() + MINUTE
            ticks += 1
            if clock.rounds is None and (ticks >= TICKS_PER_RUN or workflow.info().is_continue_as_new_suggested()):
                workflow.continue_as_new(clock)
            await workflow.sleep(timedelta(seconds=clock.tick_seconds))
        return ticks
