"""Statements the hot path runs on every event and journey step, compiled once by SQLAlchemy and executed
on the session's own psycopg connection, in its transaction (why: docs/performance.md, "The hot path").

Kept from `session.execute`: pending ORM changes are flushed first (unless `no_autoflush`), driver errors
are SQLAlchemy's exceptions. Not kept: objects already loaded are not refreshed, so prepare only
statements whose rows the transaction does not read back as ORM objects. A statement that would behave
differently (Python-side defaults, expanding parameters, converted results) is refused when compiled.
"""

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import Table, bindparam, exc, insert, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstanceState, Mapper
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

_DRIVER_CONNECTION = "tempogram.driver_connection"


class _Compiled(NamedTuple):
    compiled: SQLCompiler
    sql: str
    processors: dict[str, Any]


class Prepared:
    """A Core statement compiled once (lazily, for the engine's dialect) and executed with named
    parameters. Rows come back as named tuples (`row.column`, `row[0]`, unpacking)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: _Compiled | None = None

    async def execute(self, session: AsyncSession, params: Mapping[str, Any]) -> list[Any]:
        """Run once; the rows it returns (none for a statement without RETURNING)."""
        connection = await _driver_connection(session)
        compiled = self._compile(session)
        bound = self._bind(compiled, params)
        try:
            async with connection.cursor(row_factory=namedtuple_row) as cursor:
                await cursor.execute(compiled.sql, bound)
                return await cursor.fetchall() if cursor.description is not None else []
        except psycopg.Error as error:
            raise _wrapped(compiled.sql, bound, error, connection) from error

    async def execute_many(self, session: AsyncSession, params: Sequence[Mapping[str, Any]]) -> None:
        """Run once per parameter set, pipelined in one round trip."""
        if not params:
            return
        connection = await _driver_connection(session)
        compiled = self._compile(session)
        bound = [self._bind(compiled, each) for each in params]
        try:
            async with connection.cursor() as cursor:
                await cursor.executemany(compiled.sql, bound)
        except psycopg.Error as error:
            raise _wrapped(compiled.sql, bound, error, connection) from error

    def _compile(self, session: AsyncSession) -> _Compiled:
        if self._compiled is None:
            bind = session.get_bind()
            self._compiled = _compile(self.statement, bind.dialect)
        return self._compiled

    @staticmethod
    def _bind(compiled: _Compiled, params: Mapping[str, Any]) -> dict[str, Any]:
        bound = dict(compiled.compiled.construct_params(params))
        for name, process in compiled.processors.items():
            if name in bound:
                bound[name] = process(bound[name])
        return bound


class NewRows:
    """New ORM objects of one mapped class, written by one prepared INSERT instead of the session's
    flush (measured: an ORM flush of a new run and an event costs ~2 ms of Python, the prepared
    inserts ~0.3 ms).

    `take` turns the objects still pending into rows, with the columns' Python-side defaults filled in
    as the flush would, and removes them from the session: their later changes are not written. Other
    pending changes are flushed first, as before any prepared statement, so rows they reference exist.
    Objects the flush would write differently stay with it: a column given a server default or an
    SQL-expression default, or set to an SQL expression.
    """

    def __init__(self, model: type) -> None:
        mapper: Mapper[Any] = inspect(model)
        self._columns: list[tuple[str, str, Any]] = []  # (column, attribute, Python-side default)
        self._server_side: list[str] = []  # attributes whose columns the database fills in
        for column in mapper.local_table.columns:
            key = mapper.get_property_by_column(column).key
            if column.server_default is None:
                self._columns.append((column.name, key, column.default))
            else:
                self._server_side.append(key)
        values = {name: bindparam(name, type_=mapper.local_table.c[name].type) for name, _, _ in self._columns}
        table = mapper.local_table
        assert isinstance(table, Table)
        self._insert = Prepared(insert(table).values(values))

    def take(self, session: AsyncSession, objects: Sequence[Any]) -> list[dict[str, Any]]:
        """The rows of those objects still pending that this can write; they leave the session."""
        rows = []
        for obj in objects:
            state = inspect(obj)
            row = self._row(state) if state.pending else None
            if row is not None:
                rows.append(row)
                session.expunge(obj)
        return rows

    async def insert(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
        await self._insert.execute_many(session, rows)

    def _row(self, state: InstanceState[Any]) -> dict[str, Any] | None:
        values = state.dict
        if any(key in values for key in self._server_side):
            return None
        row = {}
        for name, key, default in self._columns:
            if key in values:
                value = values[key]
                if hasattr(value, "__clause_element__") or isinstance(value, Executable):
                    return None
            elif default is None:
                value = None
            elif default.is_scalar:
                value = default.arg
            elif default.is_callable:
                value = default.arg(None)
            else:
                return None
            row[name] = value
        return row


async def write_new(session: AsyncSession, *batches: tuple[NewRows, Sequence[Any]]) -> None:
    """Write new objects of several classes: all are taken out of the session before the first insert,
    whose flush then writes only the other pending changes."""
    taken = [(new, new.take(session, objects)) for new, objects in batches]
    for new, rows in taken:
        await new.insert(session, rows)


def _compile(statement: ClauseElement, dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise TypeError(f"cannot prepare a statement whose columns take Python-side defaults: {compiled}")
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise TypeError(f"cannot prepare a statement with expanding parameters: {compiled}")
    for column in compiled._result_columns:
        if column.type._cached_result_processor(dialect, None) is not None:
            raise TypeError(f"cannot prepare a statement whose column {column.keyname!r} needs result conversion")
    return _Compiled(compiled, compiled.string, dict(compiled._bind_processors))


async def _driver_connection(session: AsyncSession) -> psycopg.AsyncConnection[Any]:
    """The psycopg connection of the session's current transaction, after flushing pending ORM changes
    as `session.execute` would. Looked up through SQLAlchemy once per transaction, then reused."""
    sync = session.sync_session
    if sync.autoflush and (sync.new or sync.deleted or sync.identity_map.check_modified()):
        await session.flush()
    transaction = sync.get_transaction()
    cached: tuple[Any, psycopg.AsyncConnection[Any]] | None = sync.info.get(_DRIVER_CONNECTION)
    if transaction is not None and cached is not None and cached[0] is transaction:
        return cached[1]
    connection = await (await session.connection()).get_raw_connection()
    driver = connection.driver_connection
    assert isinstance(driver, psycopg.AsyncConnection)
    sync.info[_DRIVER_CONNECTION] = (sync.get_transaction(), driver)
    return driver


def _wrapped(sql: str, params: Any, error: psycopg.Error, connection: psycopg.AsyncConnection[Any]) -> Exception:
    """The error as `session.execute` raises it (`IntegrityError`, `OperationalError`, … with `.orig`)."""
    return exc.DBAPIError.instance(
        sql, params, error, psycopg.Error, connection_invalidated=connection.broken, ismulti=isinstance(params, list)
    )
