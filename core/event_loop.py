"""The event loop the long-running processes (API, worker) and the tests run on."""

import asyncio
import importlib.util
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")

EventLoop = Literal["uvloop", "asyncio"]


def available(loop: EventLoop) -> EventLoop:
    """uvloop where it is installed (a dependency on Linux and macOS; it has no Windows build), else
    asyncio's own loop. Workflow code is unaffected: the Temporal SDK runs it on a loop of its own."""
    return "uvloop" if loop == "uvloop" and importlib.util.find_spec("uvloop") is not None else "asyncio"


def loop_factory(loop: EventLoop) -> Callable[[], asyncio.AbstractEventLoop]:
    """What creates a new loop of the chosen kind (see `available`)."""
    if available(loop) == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def run(main: Coroutine[Any, Any, T], loop: EventLoop) -> T:
    """`asyncio.run` on the chosen loop."""
    with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
        return runner.run(main)
