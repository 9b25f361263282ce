"""Broadcasts: a campaign sent once to a list, at a time or in each recipient's timezone."""

import uuid

from fastapi import APIRouter

from api.access import Editor, Viewer
from api.deps import SessionDep, SettingsDep, TemporalDep, WorkDep
from domain.broadcasts.schemas import BroadcastIn, BroadcastOut
from domain.broadcasts.service import (
    broadcast_input,
    broadcast_out,
    cancel_broadcast,
    create_broadcast,
    get_broadcast,
    project_broadcasts,
)
from lifecycle.broadcasts import cancel_broadcast_workflow, start_broadcast

router = APIRouter(prefix="/api/admin/projects/{project_id}/broadcasts", tags=["admin: broadcasts"])


@router.post("", status_code=201)
async def schedule(
    body: BroadcastIn, project_id: Editor, work: WorkDep, temporal: TemporalDep, settings: SettingsDep
) -> BroadcastOut:
    """Schedule a broadcast; its workflow `broadcast/<project>/<id>` takes the list's members when it
    begins and shows its progress here and in the Temporal UI."""
    broadcast = await create_broadcast(work.session, project_id, body)
    await work.commit()
    await start_broadcast(temporal, settings.temporal_task_queue, broadcast_input(broadcast))
    return await broadcast_out(work.session, broadcast)


@router.get("")
async def index(project_id: Viewer, session: SessionDep) -> list[BroadcastOut]:
    """The project's broadcasts with their progress."""
    return [await broadcast_out(session, b) for b in await project_broadcasts(session, project_id)]


@router.get("/{broadcast_id}")
async def show(project_id: Viewer, broadcast_id: uuid.UUID, session: SessionDep) -> BroadcastOut:
    """One broadcast: when, to whom, and how many were sent, skipped or failed."""
    return await broadcast_out(session, await get_broadcast(session, project_id, broadcast_id))


@router.post("/{broadcast_id}/cancel")
async def cancel(project_id: Editor, broadcast_id: uuid.UUID, work: WorkDep, temporal: TemporalDep) -> BroadcastOut:
    """Stop sending: recipients not yet sent to get nothing; messages already sent stay sent."""
    broadcast = await cancel_broadcast(work.session, project_id, broadcast_id)
    await work.commit()
    await cancel_broadcast_workflow(temporal, str(project_id), str(broadcast_id))
    return await broadcast_out(work.session, broadcast)
