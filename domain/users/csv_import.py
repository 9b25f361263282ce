"""CSV import of users: one row per user, a bad row reported with its line number, the others imported."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from core.errors import Invalid
from domain.unit_of_work import UnitOfWork
from domain.users.schemas import UserUpsert
from domain.users.service import upsert_user

IDENTIFIER_COLUMNS = ("identifier", "external_id")
PROFILE_COLUMNS = ("email", "phone", "timezone", "locale")
NAME_COLUMNS = ("first_name", "last_name")
MAX_ROWS = 100_000
MAX_LINE_CHARS = 64 * 1024


@dataclass
class RowError:
    line: int
    error: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    user_ids: list[uuid.UUID] = field(default_factory=list)


def typed(cell: str) -> Any:
    """CSV cells are text; numbers and booleans become JSON numbers and booleans so rules compare them."""
    lowered = cell.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(cell)
        except ValueError:
            pass
    return cell


def parse_rows(content: bytes) -> tuple[str, csv.DictReader[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("file: must be UTF-8 encoded CSV") from None
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > MAX_LINE_CHARS:
            raise Invalid(f"file: line {number}: longer than the {MAX_LINE_CHARS // 1024} KiB a line may hold")
    # newline="": a bare CR ends a line, as in old spreadsheet exports, instead of breaking the parser.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = headers
    id_column = next((c for c in IDENTIFIER_COLUMNS if c in headers), None)
    if id_column is None:
        raise Invalid("file: the header row needs an identifier (or external_id) column")
    return id_column, reader


def row_payload(row: dict[str, str | None], id_column: str) -> UserUpsert:
    cells = {k: v.strip() for k, v in row.items() if k and isinstance(v, str) and v.strip()}
    data = {
        k: (v if k in NAME_COLUMNS else typed(v))
        for k, v in cells.items()
        if k not in (id_column, *IDENTIFIER_COLUMNS, *PROFILE_COLUMNS)
    }
    return UserUpsert.model_validate(
        {
            "identifier": [{"external_id": cells.get(id_column, "")}],
            **{k: cells[k] for k in PROFILE_COLUMNS if k in cells},
            "data": data or None,
        }
    )


def numbered_rows(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, str | None]]]:
    """Rows with their line numbers; a file the CSV parser cannot read is refused naming the line."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise Invalid(f"file: line {reader.line_num}: {error}") from None
        yield reader.line_num, row


async def import_users(work: UnitOfWork, project_id: uuid.UUID, content: bytes) -> ImportResult:
    session = work.session
    id_column, reader = parse_rows(content)
    result = ImportResult()
    for line, row in numbered_rows(reader):
        if len(result.user_ids) + result.failed >= MAX_ROWS:
            raise Invalid(f"file: at most {MAX_ROWS} rows per import")
        try:
            payload = row_payload(row, id_column)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"] if not isinstance(p, int))
            result.failed += 1
            result.errors.append(RowError(line, f"{where}: {first['msg'].removeprefix('Value error, ')}"))
            continue
        try:
            async with session.begin_nested():
                outcome = await upsert_user(work, project_id, payload)
        except Exception as error:  # one row's conflict must not stop the others
            result.failed += 1
            result.errors.append(RowError(line, getattr(error, "detail", str(error).splitlines()[0])))
            continue
        result.user_ids.append(outcome.user.id)
        if outcome.created:
            result.created += 1
        elif outcome.changed:
            result.updated += 1
        else:
            result.unchanged += 1
    return result
