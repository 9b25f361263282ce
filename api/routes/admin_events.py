from fastapi import APIRouter

from api.access import Viewer
from api.deps import SessionDep
from domain.events.queries import event_schema
from domain.events.schemas import EventSchema

router = APIRouter(prefix="/api/admin/projects/{project_id}/events", tags=["admin: events"])


@router.get("/schema")
async def schema(project_id: Viewer, session: SessionDep) -> list[EventSchema]:
    """Property paths and types discovered per event name."""
    return await event_schema(session, project_id)
