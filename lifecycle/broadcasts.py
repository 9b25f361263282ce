"""Starting and cancelling a broadcast's workflow."""

from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from core.temporal import PROJECT_ID
from domain.broadcasts.payloads import BROADCAST_WORKFLOW, BroadcastInput, broadcast_workflow_id
from lifecycle.calls import RPC_TIMEOUT, unless_gone


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
    handle = client.get_workflow_handle(broadcast_workflow_id(project_id, broadcast_id))
    await unless_gone(handle.cancel(rpc_timeout=RPC_TIMEOUT))
