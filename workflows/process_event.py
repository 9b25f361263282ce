"""The per-event pipeline: record (with schema extraction), then evaluate lists and journeys."""

import asyncio
from collections.abc import Awaitable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.events import EventActivities
    from activities.journeys import JourneyActivities
    from activities.lists import ListActivities
    from core.temporal import USER_ID
    from domain.events.payloads import (
        PROCESS_EVENT_WORKFLOW,
        FanOutPageInput,
        ProcessEventInput,
        ProcessEventResult,
        RecordedEvent,
    )
    from domain.journeys.payloads import OrganizationEntranceInput
    from domain.lists.payloads import OrganizationMembersInput
    from workflows.policies import DATABASE_RETRY, HEARTBEAT, LONG_PAGE, MEMBERS, TRANSACTION


@workflow.defn(name=PROCESS_EVENT_WORKFLOW)
class ProcessEvent:
    @workflow.run
    async def run(self, event: ProcessEventInput) -> ProcessEventResult:
        if event.match is not None:
            return ProcessEventResult(delivered=await self._fan_out(event))

        recorded = await workflow.execute_local_activity_method(
            EventActivities.record_event,
            event,
            start_to_close_timeout=TRANSACTION,
            retry_policy=DATABASE_RETRY,
        )
        if recorded.user_id and recorded.user_id not in (event.user_id, event.indexed_user_id):
            workflow.upsert_search_attributes([USER_ID.value_set(recorded.user_id)])
        if recorded.recorded:
            await self._evaluate(recorded)
        return ProcessEventResult(user_id=recorded.user_id, organization_id=recorded.organization_id)

    async def _evaluate(self, event: RecordedEvent) -> None:
        """Steps 3 and 4 of the pipeline, run concurrently. Schema extraction (step 2) and list
        recomputation for the event's own user already ran inside the recording transaction; an
        organization's event or change recomputes lists for each of its members here."""
        stages: list[Awaitable[object]] = []
        if event.user_id is None and event.organization_id is not None:
            stages.append(
                workflow.execute_activity_method(
                    ListActivities.recompute_organization_members,
                    OrganizationMembersInput(event.project_id, event.organization_id, event.name),
                    start_to_close_timeout=MEMBERS,
                    heartbeat_timeout=HEARTBEAT,
                    retry_policy=DATABASE_RETRY,
                )
            )
        # A user's journey entrances and exit signals were evaluated inside the recording transaction;
        # an organization's event enters its members here.
        if event.member_entrances and event.organization_id is not None:
            stages.append(
                workflow.execute_activity_method(
                    JourneyActivities.enter_organization_members,
                    OrganizationEntranceInput(
                        event.project_id, event.organization_id, event.event_id, event.name, event.data
                    ),
                    start_to_close_timeout=MEMBERS,
                    heartbeat_timeout=HEARTBEAT,
                    retry_policy=DATABASE_RETRY,
                )
            )
        await asyncio.gather(*stages)

    async def _fan_out(self, event: ProcessEventInput) -> int:
        """Deliver a `match` event, page by page, as an independent event per matching entity."""
        delivered = event.fan_out_delivered
        after_id = event.fan_out_after_id
        while True:
            page = await workflow.execute_activity_method(
                EventActivities.deliver_match_page,
                FanOutPageInput(event=event, after_id=after_id),
                start_to_close_timeout=LONG_PAGE,
                heartbeat_timeout=HEARTBEAT,
                retry_policy=DATABASE_RETRY,
            )
            delivered += page.delivered
            if page.last_id is None:
                return delivered
            after_id = page.last_id
            if workflow.info().is_continue_as_new_suggested():
                event.fan_out_after_id, event.fan_out_delivered = after_id, delivered
                workflow.continue_as_new(event)
