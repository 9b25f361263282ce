"""Sending invitation and password-reset links by email, through their workflow."""

import uuid

from temporalio.client import Client

from domain.accounts.payloads import SEND_ACCOUNT_LINK_WORKFLOW, AccountLinkEmail, account_link_workflow_id
from lifecycle.calls import RPC_TIMEOUT


async def email_link(client: Client, task_queue: str, link_id: uuid.UUID, provider_id: uuid.UUID) -> None:
    await client.start_workflow(
        SEND_ACCOUNT_LINK_WORKFLOW,
        AccountLinkEmail(str(link_id), str(provider_id)),
        id=account_link_workflow_id(str(link_id)),
        task_queue=task_queue,
        static_summary="an invitation or password-reset email",
        rpc_timeout=RPC_TIMEOUT,
    )
