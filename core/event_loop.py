"""The event loop the long-running processes (API, worker) run on."""

import asyncio
import importlib.util
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")

EventLoop = Literal["uvloop", "asyncio"]


def available(loop: EventLoop) -> EventLoop:
    """uvloop where it is installed (a dependency on Linux and macOS; it has no Windows build), else
    asyncio's own loop. Workflow code is unaffected: the Temporal SDK runs it on a loop of its own."""
    return "uvloop" if loop == "uvloop" and importlib.util.find_spec("uvloop") is not None else "asyncio"


def run(main: Coroutine[Any, Any, T], loop: EventLoop) -> T:
    """`asyncio.run` on the chosen loop (see `available`)."""
    if available(loop) == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)
