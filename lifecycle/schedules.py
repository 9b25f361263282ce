"""Starting a schedule definition's re-plan."""

import uuid

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from core.temporal import PROJECT_ID
from domain.schedules.payloads import REPLAN_SCHEDULE_WORKFLOW, ReplanInput, replan_workflow_id
from lifecycle.calls import RPC_TIMEOUT


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
