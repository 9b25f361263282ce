from fastapi import APIRouter

from api.deps import AdminProjectDep, SessionDep
from domain.events.queries import event_schema
from domain.events.schemas import EventSchema

router = APIRouter(prefix="/api/admin/projects/{project_id}/events", tags=["admin: events"])


@router.get("/schema")
async def schema(project_id: AdminProjectDep, session: SessionDep) -> list[EventSchema]:
    """Property paths and types discovered per event name."""
    return await event_schema(session, project_id)
