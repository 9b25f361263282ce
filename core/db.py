"""Engine and session factories. Nothing connects at import time."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import ClauseElement, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.sql.compiler import SQLCompiler

from core.config import Settings

SessionFactory = async_sessionmaker[AsyncSession]
log = logging.getLogger(__name__)


def create_engine(settings: Settings, *, pre_ping: bool = True, statement_timeout: float = 0) -> AsyncEngine:
    """`pre_ping` tests each pooled connection with a round trip before use. The worker turns it off:
    its activities retry, and a dropped connection makes the pool discard all its connections at the
    first failure, so the retry gets a fresh one; the API, whose requests do not retry, keeps it.
    `statement_timeout` (seconds, 0 for none) cancels any statement that runs longer."""
    options = f"-c timezone=UTC -c statement_timeout={int(statement_timeout * 1000)}"
    return create_async_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_pre_ping=pre_ping,
        # A request waits this long for a pooled connection, and a new connection this long to open.
        pool_timeout=10,
        # Rules read naive timestamps as UTC; every connection uses UTC so SQL and Python agree.
        connect_args={"options": options, "connect_timeout": 5},
    )


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


async def limit_statement_time(session: AsyncSession, seconds: float) -> None:
    """Cancel any statement of this transaction that runs longer than `seconds` (interactive requests)."""
    await session.execute(text(f"SET LOCAL statement_timeout = {int(seconds * 1000)}"))


async def fetch_compiled_off_loop(session: AsyncSession, build: Callable[[], ClauseElement]) -> list[Any]:
    """Rows of a statement built and compiled in a worker thread. A large rule costs hundreds of
    milliseconds of CPU to build and compile; on the event loop that would stall every other request.
    Runs in the session's transaction, on its connection."""
    dialect = session.get_bind().dialect

    def compile_statement() -> tuple[str, dict[str, Any]]:
        compiled = build().compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        params = dict(compiled.construct_params())
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None and name in params:
                params[name] = process(params[name])
        return compiled.string, params

    sql, params = await asyncio.to_thread(compile_statement)
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    assert raw.driver_connection is not None
    async with raw.driver_connection.cursor() as cursor:
        await cursor.execute(sql, params)
        return list(await cursor.fetchall())


T = TypeVar("T")
# While a message is out but not yet recorded, a database outage of up to this long is waited out.
OUTAGE_PATIENCE_SECONDS = 90.0


async def through_database_outage(call: Callable[[], Awaitable[T]], patience: float = OUTAGE_PATIENCE_SECONDS) -> T:
    """`call()`, retried while PostgreSQL is unreachable (connection errors), for up to `patience` seconds.
    For work that must not be lost to a retry of the whole activity: recording a message already handed
    to its provider (a retry would send it again)."""
    deadline = time.monotonic() + patience
    pause = 0.2
    while True:
        try:
            return await call()
        except (OperationalError, InterfaceError) as error:
            if time.monotonic() + pause > deadline:
                raise
            log.warning("database unavailable (%s); retrying in %.1f s", type(error.orig).__name__, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)
