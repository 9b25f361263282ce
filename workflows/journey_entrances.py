"""Recurring list entrances: a Temporal Schedule per entrance starts this workflow, which enters the
list's members into the journey."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.journeys import JourneyActivities
    from domain.journeys.payloads import ENTER_LIST_MEMBERS_WORKFLOW, ListEntranceInput
    from workflows.policies import ENTRANCE, ENTRANCE_RETRY, HEARTBEAT


@workflow.defn(name=ENTER_LIST_MEMBERS_WORKFLOW)
class EnterListMembers:
    @workflow.run
    async def run(self, job: ListEntranceInput) -> int:
        if not job.fire_id:  # started by the schedule: its workflow id names the fire
            job.fire_id = workflow.info().workflow_id
        return await workflow.execute_activity_method(
            JourneyActivities.enter_list_members,
            job,
            start_to_close_timeout=ENTRANCE,
            heartbeat_timeout=HEARTBEAT,
            retry_policy=ENTRANCE_RETRY,
        )
