"""Recurring list entrances: a Temporal Schedule per entrance starts this workflow, which enters the
list's members into the journey."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.journeys import JourneyActivities
    from domain.journeys.pipeline import ENTER_LIST_MEMBERS_WORKFLOW, ListEntranceInput


@workflow.defn(name=ENTER_LIST_MEMBERS_WORKFLOW)
class EnterListMembers:
    @workflow.run
    async def run(self, job: ListEntranceInput) -> int:
        if not job.fire_id:  # started by the schedule: its workflow id names the fire
            job.fire_id = workflow.info().workflow_id
        return await workflow.execute_activity_method(
            JourneyActivities.enter_list_members,
            job,
            start_to_close_timeout=timedelta(hours=1),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
