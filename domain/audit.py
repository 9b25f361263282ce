"""The audit log: who changed what in a project through the management API, and when.

A unit of work opened for an authenticated person, token or key carries an `AuditTrail`: every row of an
`Audited` table it creates, changes or deletes is captured at flush with the fields that changed, and the
entries are written in the same transaction, just before it commits. A request that changed only
unaudited rows (a CSV import, a static list's members) is recorded once, as the request it was.
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, insert, inspect, select
from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import AttributeState, Mapped, Session, mapped_column
from sqlalchemy.orm.base import LoaderCallableStatus

from domain.base import Base, utcnow

# Fields no summary repeats: they change with every write, or identify the row already.
_UNSHOWN = frozenset({"id", "project_id", "created_at", "updated_at"})
_LONGEST_VALUE = 500
_DEEPEST_PATH = 4


@dataclass(frozen=True)
class Actor:
    """Who acts: an `account` (a person's session), a `token` (a person's API token) or a `key` (a
    project's secret key). `label`: the email, or the token's or key's name and prefix."""

    kind: str
    id: str
    label: str


class Audited:
    """Rows of a table with this mixin are on the audit log when they change through an audited unit
    of work. `audit_hidden`: fields whose values are never shown (only that they changed)."""

    audit_type: ClassVar[str]
    audit_hidden: ClassVar[frozenset[str]] = frozenset()

    def audit_project_id(self) -> uuid.UUID:
        project_id: uuid.UUID = getattr(self, "project_id")  # noqa: B009 - a column of the mapped class, not of the mixin
        return project_id

    def audit_object_id(self) -> str:
        """How the log names the row: its `id`, unless the table keys it otherwise."""
        return str(getattr(self, "id"))  # noqa: B009 - a column of the mapped class, not of the mixin


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_project", "project_id", "id"),
        Index("ix_audit_entries_object", "project_id", "object_type", "object_id", "id"),
        Index("ix_audit_entries_actor", "project_id", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_label: Mapped[str] = mapped_column(String(400))
    # The request that made the change: `POST /journeys/{journey_id}/publish`.
    action: Mapped[str] = mapped_column(String(300))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str | None] = mapped_column(String(200))
    change: Mapped[str] = mapped_column(String(10))  # created | updated | deleted | requested
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


@dataclass
class AuditTrail:
    """The changes of one unit of work, made by `actor` through the request `action`. `fallback`: the
    object the request names in its path, recorded if no audited row changed."""

    actor: Actor
    action: str
    project_id: uuid.UUID | None
    fallback: tuple[str, str | None]
    entries: list[dict[str, Any]] = field(default_factory=list)

    def watch(self, session: AsyncSession) -> None:
        orm_event.listen(session.sync_session, "after_flush", self._capture)

    def _capture(self, session: Session, _context: object) -> None:
        for obj in session.new:
            if isinstance(obj, Audited):
                self._add(obj, "created", None, _values(obj))
        for obj in session.dirty:
            if isinstance(obj, Audited) and session.is_modified(obj):
                before, after = _changes(obj)
                if before or after:
                    self._add(obj, "updated", before, after)
        for obj in session.deleted:
            if isinstance(obj, Audited):
                self._add(obj, "deleted", _values(obj), None)

    def _add(self, obj: Audited, change: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        self.entries.append({
            "project_id": obj.audit_project_id(), "object_type": obj.audit_type,
            "object_id": obj.audit_object_id(), "change": change, "before": before, "after": after,
        })  # fmt: skip

    async def write(self, session: AsyncSession) -> None:
        """Insert the entries (called with the transaction's last statements, before commit)."""
        await session.flush()
        entries = self.entries
        if not entries and self.project_id is not None:
            kind, object_id = self.fallback
            entries = [{"project_id": self.project_id, "object_type": kind, "object_id": object_id,
                        "change": "requested", "before": None, "after": None}]  # fmt: skip
        if entries:
            who = {"actor_kind": self.actor.kind, "actor_id": self.actor.id, "actor_label": self.actor.label}
            now = utcnow()
            await session.execute(insert(AuditEntry), [{**e, **who, "action": self.action, "at": now} for e in entries])
        self.entries = []


def _shown_fields(obj: Audited) -> Iterator[tuple[str, AttributeState]]:
    """The row's columns a summary may name, with their state (loaded value, history)."""
    state = inspect(obj)
    for attribute in state.mapper.column_attrs:
        if attribute.key not in _UNSHOWN:
            yield attribute.key, state.attrs[attribute.key]


def _values(obj: Audited) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for name, field_state in _shown_fields(obj):
        value = field_state.loaded_value
        if isinstance(value, LoaderCallableStatus):  # not loaded (a server default not read back)
            continue
        shown[name] = "(set)" if name in obj.audit_hidden and value is not None else _shortened(_plain(value))
    return shown


def _changes(obj: Audited) -> tuple[dict[str, Any], dict[str, Any]]:
    """The changed fields' old and new values; nested documents (a journey's steps) by the paths that
    changed in them."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, field_state in _shown_fields(obj):
        history = field_state.history
        if not history.added:
            continue
        old = history.deleted[0] if history.deleted else None
        if name in obj.audit_hidden:
            before[name], after[name] = "(hidden)", "(changed)"
            continue
        for path, (was, now) in _differences(name, _plain(old), _plain(history.added[0]), 1).items():
            before[path], after[path] = was, now
    return before, after


def _differences(path: str, old: Any, new: Any, depth: int) -> dict[str, tuple[Any, Any]]:
    if old == new:
        return {}
    if isinstance(old, dict) and isinstance(new, dict) and depth < _DEEPEST_PATH:
        found: dict[str, tuple[Any, Any]] = {}
        for key in sorted(old.keys() | new.keys()):
            found.update(_differences(f"{path}.{key}", old.get(key), new.get(key), depth + 1))
        return found
    return {path: (_shortened(old), _shortened(new))}


def _plain(value: Any) -> Any:
    """JSON's own values: ids and times as strings."""
    if isinstance(value, uuid.UUID | datetime | date):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _shortened(value: Any) -> Any:
    """A value as the summary shows it: long text and big documents cut to a readable length."""
    if isinstance(value, str):
        return value if len(value) <= _LONGEST_VALUE else value[:_LONGEST_VALUE] + "…"
    if isinstance(value, dict | list):
        text = json.dumps(value, default=str)
        return value if len(text) <= _LONGEST_VALUE else text[:_LONGEST_VALUE] + "…"
    return value


@dataclass(frozen=True)
class AuditFilter:
    object_type: str | None = None
    object_id: str | None = None
    actor_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def read_audit(
    session: AsyncSession, project_id: uuid.UUID, only: AuditFilter, limit: int, before_id: int | None
) -> list[AuditEntry]:
    """The project's entries, newest first, keyset-paged by id (an index serves each filter)."""
    query = select(AuditEntry).where(AuditEntry.project_id == project_id)
    if only.object_type is not None:
        query = query.where(AuditEntry.object_type == only.object_type)
    if only.object_id is not None:
        query = query.where(AuditEntry.object_id == only.object_id)
    if only.actor_id is not None:
        query = query.where(AuditEntry.actor_id == only.actor_id)
    if only.since is not None:
        query = query.where(AuditEntry.at >= only.since)
    if only.until is not None:
        query = query.where(AuditEntry.at < only.until)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list((await session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit))).all())
