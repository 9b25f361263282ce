"""What every call to Temporal from the client side shares: a deadline, priorities, and error helpers."""

import asyncio
from collections.abc import Awaitable, Coroutine, Iterable
from datetime import timedelta
from typing import Any

from temporalio.common import Priority
from temporalio.service import RPCError, RPCStatusCode

# A hung frontend must not hang a request or a drain. (Event starts are also bounded by asyncio: the
# SDK's deadline does not cover a connection that hangs while it is being established.)
RPC_TIMEOUT = timedelta(seconds=10)

# Temporal task priorities run from 1 (first) to 5; unset means 3.
BACKGROUND = Priority(priority_key=4)
# Runs already inside a journey go before new intake: a timer that fired should not wait behind a flood
# of fresh events (their tasks inherit the priority the run was started with).
RUNS = Priority(priority_key=2)


async def all_or_first_error(calls: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Runs the calls side by side; the first failure cancels the others and is raised as it is."""
    try:
        async with asyncio.TaskGroup() as group:
            for call in calls:
                group.create_task(call)
    except* Exception as failures:
        raise failures.exceptions[0] from None


async def unless_gone(call: Awaitable[Any]) -> None:
    """A call on a workflow or schedule that may already have ended (or been deleted): that is fine."""
    try:
        await call
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
