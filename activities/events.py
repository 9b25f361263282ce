"""Event pipeline I/O: record an event (with schema extraction), fan `match` events out, sweep."""

import uuid
from datetime import UTC, datetime, timedelta

from psycopg.errors import ForeignKeyViolation
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from temporalio import activity

from domain.base import utcnow
from domain.events.intake import fan_out_event_id
from domain.events.models import Event
from domain.events.payloads import (
    FanOutPageInput,
    FanOutPageResult,
    IdentifierRef,
    PendingEventsInput,
    ProcessEventInput,
    RecordedEvent,
)
from domain.events.recording import SchemaKey, extract_schema, record_occurrence
from domain.identifiers import IdentifierIn
from domain.journeys.entry import Occurrence, enter_for_event, has_member_entrances, notify_exits
from domain.journeys.walk import walk_admitted
from domain.lists.membership import recompute_for_user
from domain.lists.payloads import LIST_EVENTS
from domain.organizations.models import Organization
from domain.organizations.service import resolve_or_create_organization
from domain.users.models import User
from domain.users.service import resolve_or_create_user
from lifecycle.unit_of_work import Dispatch


class EventActivities:
    def __init__(self, dispatch: Dispatch) -> None:
        self.dispatch = dispatch
        self.sessions = dispatch.sessions
        self._known_schema: set[SchemaKey] = set()

    @activity.defn
    async def record_event(self, event: ProcessEventInput) -> RecordedEvent:
        """Resolve the target (creating a user/org for an unknown identifier), store the occurrence
        once, extract its schema and recompute the user's affected lists — one transaction.
        Idempotent: the event id is the key, and list changes are diffs."""
        project_id = uuid.UUID(event.project_id)
        async with self.dispatch.open() as work:
            session = work.session
            user_id = uuid.UUID(event.user_id) if event.user_id else None
            organization_id = uuid.UUID(event.organization_id) if event.organization_id else None
            if event.identifier:
                identifiers = [_identifier(ref) for ref in event.identifier]
                if event.entity == "user":
                    user_id = await resolve_or_create_user(work, project_id, identifiers)
                else:
                    organization_id = await resolve_or_create_organization(work, project_id, identifiers)

            try:
                await record_occurrence(session, event, user_id, organization_id)
                new_schema = await extract_schema(session, event, self._known_schema)
                now = datetime.now(UTC)
                occurrence = Occurrence(uuid.UUID(event.event_id), event.name, event.data, now)
                member_entrances = False
                if user_id is not None:
                    await recompute_for_user(work, project_id, user_id, event.name, now)
                    # Exits first: the runs this event admits are not among those it exits.
                    await notify_exits(work, user_id, occurrence)
                    await enter_for_event(work, project_id, user_id, occurrence)
                    await walk_admitted(work)
                elif organization_id is not None:
                    member_entrances = await has_member_entrances(session, project_id, event.name)
                await work.commit()
            except IntegrityError as error:
                if not isinstance(error.orig, ForeignKeyViolation):
                    raise
                # The user or organization was deleted after the event was accepted: nothing to record.
                return _recorded(event, user_id, organization_id, recorded=False)
        self._known_schema.update(new_schema)
        recorded = _recorded(event, user_id, organization_id, recorded=True)
        recorded.member_entrances = member_entrances
        return recorded

    @activity.defn
    async def deliver_match_page(self, page: FanOutPageInput) -> FanOutPageResult:
        """Start the pipeline for the next page of entities whose data contains `match`.

        Each copy's id is derived from (event id, entity id) and its workflow ID from that, so a
        retried page starts nothing twice."""
        event = page.event
        table = User if event.entity == "user" else Organization
        query = select(table.id).where(
            table.project_id == uuid.UUID(event.project_id), table.data.op("@>")(event.match)
        )
        if page.after_id is not None:
            query = query.where(table.id > uuid.UUID(page.after_id))
        async with self.sessions() as session:
            ids = [str(i) for i in (await session.scalars(query.order_by(table.id).limit(page.page_size)))]
        copies = [
            ProcessEventInput(
                project_id=event.project_id,
                event_id=fan_out_event_id(event.event_id, entity_id),
                entity=event.entity,
                name=event.name,
                data=event.data,
                source=event.source,
                occurred_at=event.occurred_at,
                user_id=entity_id if event.entity == "user" else None,
                organization_id=entity_id if event.entity == "organization" else None,
            )
            for entity_id in ids
        ]
        activity.heartbeat(page.after_id)
        await self.dispatch.events.start(copies)
        last_id = ids[-1] if len(ids) == page.page_size else None
        return FanOutPageResult(delivered=len(ids), last_id=last_id)

    @activity.defn
    async def dispatch_pending_events(self, job: PendingEventsInput) -> int:
        """Start the pipeline for system events written but not yet dispatched: events whose dispatch
        failed after commit (Temporal was down), or a list's membership events from a recompute."""
        query = select(Event).where(~Event.dispatched)
        if job.grace_seconds:
            query = query.where(Event.created_at < utcnow() - timedelta(seconds=job.grace_seconds))
        if job.list_id is not None:
            query = query.where(Event.name.in_(LIST_EVENTS), Event.data.op("@>")({"list_id": job.list_id}))
        async with self.dispatch.open() as work:
            session = work.session
            pending = list(await session.scalars(query.order_by(Event.created_at).limit(job.limit)))
            await self.dispatch.events.dispatch_recorded(pending, background=True)
            await session.execute(
                update(Event).where(Event.id.in_([event.id for event in pending])).values(dispatched=True)
            )
            await work.commit()
        if not activity.info().is_local:  # the sweeper runs it as a local activity, which has no heartbeat
            activity.heartbeat(len(pending))
        return len(pending)


def _identifier(ref: IdentifierRef) -> IdentifierIn:
    return IdentifierIn(external_id=ref.external_id, source=ref.source)


def _recorded(
    event: ProcessEventInput, user_id: uuid.UUID | None, organization_id: uuid.UUID | None, *, recorded: bool
) -> RecordedEvent:
    return RecordedEvent(
        project_id=event.project_id,
        event_id=event.event_id,
        entity=event.entity,
        name=event.name,
        data=event.data,
        user_id=str(user_id) if user_id else None,
        organization_id=str(organization_id) if organization_id else None,
        recorded=recorded,
    )
