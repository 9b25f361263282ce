from datetime import UTC, datetime

from fastapi import APIRouter, Response

from api.deps import ClientProjectDep, EventDrainDep, WorkDep
from api.routes.client_users import IdempotencyKey
from domain.events.intake import accept_batch
from domain.events.schemas import AcceptedEvents, EventBatch
from domain.identifiers import unique_keys
from domain.organizations.schemas import (
    EntityRef,
    MembershipChange,
    MembershipOut,
    OrganizationOut,
    OrganizationUpsert,
)
from domain.organizations.service import (
    delete_organization,
    remove_membership,
    upsert_membership,
    upsert_organization,
)

router = APIRouter(prefix="/api/client/organizations", tags=["client: organizations"])


@router.post("")
async def upsert(body: OrganizationUpsert, project_id: ClientProjectDep, work: WorkDep) -> OrganizationOut:
    """Create or update the organization the identifiers name (shallow merge of `data`)."""
    outcome = await upsert_organization(work, project_id, body)
    await work.commit()
    return OrganizationOut.model_validate(outcome.organization)


@router.delete("", status_code=204)
async def remove(body: EntityRef, project_id: ClientProjectDep, work: WorkDep) -> Response:
    """Delete the organization; its members stay, without it (each gets `organization.user.removed`)."""
    await delete_organization(work, project_id, unique_keys(body.identifier))
    await work.commit()
    return Response(status_code=204)


@router.post("/users")
async def add_member(body: MembershipChange, project_id: ClientProjectDep, work: WorkDep) -> MembershipOut:
    """Add a user to an organization, or shallow-merge the membership's data."""
    membership = await upsert_membership(work, project_id, body)
    await work.commit()
    return MembershipOut.model_validate(membership)


@router.delete("/users", status_code=204)
async def remove_member(body: MembershipChange, project_id: ClientProjectDep, work: WorkDep) -> Response:
    """Take a user out of an organization (`organization.user.removed`)."""
    await remove_membership(work, project_id, body)
    await work.commit()
    return Response(status_code=204)


@router.post("/events", status_code=202)
async def post_events(
    body: EventBatch,
    project_id: ClientProjectDep,
    work: WorkDep,
    drain: EventDrainDep,
    idempotency_key: IdempotencyKey = None,
) -> AcceptedEvents:
    """Accept events for asynchronous processing, one Temporal workflow per event. `202` means every
    event of the batch is stored; any error means none is."""
    event_ids = await accept_batch(work.session, project_id, "organization", body, idempotency_key, datetime.now(UTC))
    await work.commit()
    drain.wake()
    return AcceptedEvents(accepted=len(event_ids), event_ids=event_ids)
