"""Starting a list's recompute."""

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from core.temporal import PROJECT_ID
from domain.lists.payloads import LIST_RECOMPUTE_WORKFLOW, ListRecomputeInput, recompute_workflow_id
from lifecycle.calls import RPC_TIMEOUT


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
