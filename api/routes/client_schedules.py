"""`/api/client/users/scheduled` and `/api/client/organizations/scheduled`: upsert and delete a user's or an
organization's schedule. Durable when answered: the assignment and its next fires are committed."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response

from api.deps import ClientProjectDep, WorkDep
from domain.schedules.schemas import ScheduleOut, ScheduleRef, ScheduleUpsert
from domain.schedules.service import delete_assignment, upsert_assignment

router = APIRouter(prefix="/api/client", tags=["client: schedules"])

Owners = Annotated[Literal["users", "organizations"], Path(description="whose schedule")]


def _entity(owners: str) -> Literal["user", "organization"]:
    return "user" if owners == "users" else "organization"


@router.post("/{owners}/scheduled", status_code=202)
async def upsert(owners: Owners, body: ScheduleUpsert, project_id: ClientProjectDep, work: WorkDep) -> ScheduleOut:
    """Create the schedule `name`, or replace its timing and data. `scheduled_at` in the answer is the next
    fire; a `scheduled_at` a few minutes in the past (clock skew) fires at once."""
    schedule = await upsert_assignment(work.session, project_id, _entity(owners), body)
    await work.commit()
    return schedule


@router.delete("/{owners}/scheduled", status_code=204)
async def remove(owners: Owners, body: ScheduleRef, project_id: ClientProjectDep, work: WorkDep) -> Response:
    """Stop the schedule at once; 404 when the user, organization or schedule name is unknown."""
    await delete_assignment(work.session, project_id, _entity(owners), body)
    await work.commit()
    return Response(status_code=204)
