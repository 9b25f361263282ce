from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Response

from api.deps import ClientProjectDep, EventDrainDep, WorkDep
from domain.events.intake import accept_batch
from domain.events.schemas import AcceptedEvents, EventBatch
from domain.identifiers import unique_keys
from domain.user_deletion import delete_user_everywhere
from domain.users.schemas import UserOut, UserRef, UserUpsert
from domain.users.service import upsert_user

router = APIRouter(prefix="/api/client/users", tags=["client: users"])

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]


@router.post("")
async def upsert(body: UserUpsert, project_id: ClientProjectDep, work: WorkDep) -> UserOut:
    """Create or update the user the identifiers name (shallow merge of `data`)."""
    outcome = await upsert_user(work, project_id, body)
    await work.commit()
    return UserOut.model_validate(outcome.user)


@router.delete("", status_code=204)
async def remove(body: UserRef, project_id: ClientProjectDep, work: WorkDep) -> Response:
    """Delete the user, their memberships and schedules, and stop their journey runs."""
    await delete_user_everywhere(work, project_id, unique_keys(body.identifier))
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
    event_ids = await accept_batch(work.session, project_id, "user", body, idempotency_key, datetime.now(UTC))
    await work.commit()
    drain.wake()
    return AcceptedEvents(accepted=len(event_ids), event_ids=event_ids)
