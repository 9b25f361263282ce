"""Schedule definitions (offsets) and the schedules of one user or organization (pause, resume)."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import Editor, Viewer
from api.deps import SessionDep, SettingsDep, TemporalDep, WorkDep
from domain.organizations.service import get_organization
from domain.schedules.definitions import definition_out, get_definition, list_definitions, put_definition
from domain.schedules.schemas import DefinitionIn, DefinitionOut, PauseIn, ResumeIn, ScheduleOut
from domain.schedules.service import Owner, owner_schedules, pause, resume
from domain.users.service import get_user
from lifecycle.schedules import start_schedule_replan

router = APIRouter(prefix="/api/admin/projects/{project_id}", tags=["admin: schedules"])

Entity = Annotated[Literal["user", "organization"], Path()]
Owners = Annotated[Literal["users", "organizations"], Path(description="whose schedules")]


@router.get("/schedules")
async def definitions(project_id: Viewer, session: SessionDep) -> list[DefinitionOut]:
    """The project's schedule definitions with their offsets and assignment counts."""
    return [definition_out(d, count) for d, count in await list_definitions(session, project_id)]


@router.get("/schedules/{entity}/{name}")
async def show_definition(project_id: Viewer, entity: Entity, name: str, session: SessionDep) -> DefinitionOut:
    """One schedule definition."""
    return definition_out(await get_definition(session, project_id, entity, name))


@router.put("/schedules/{entity}/{name}")
async def set_offsets(
    project_id: Editor,
    entity: Entity,
    name: str,
    body: DefinitionIn,
    work: WorkDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> DefinitionOut:
    """Set the offsets (`[{"interval": "7 days", "direction": "before"}, …]`). Every assignment of the
    definition is re-planned by the workflow `schedule/<definition_id>/replan`."""
    definition, changed = await put_definition(work.session, project_id, entity, name, body)
    await work.commit()
    if changed:
        await start_schedule_replan(temporal, settings.temporal_task_queue, project_id, definition.id)
    return definition_out(definition)


async def _owner(session: AsyncSession, project_id: uuid.UUID, owners: str, owner_id: uuid.UUID) -> Owner:
    if owners == "users":
        user = await get_user(session, project_id, owner_id)
        return Owner("user", user.id, user.timezone)
    return Owner("organization", (await get_organization(session, project_id, owner_id)).id)


@router.get("/{owners}/{owner_id}/schedules")
async def of_owner(project_id: Viewer, owners: Owners, owner_id: uuid.UUID, session: SessionDep) -> list[ScheduleOut]:
    """The schedules of a user or organization with their next fires, the anniversary included."""
    return await owner_schedules(session, project_id, await _owner(session, project_id, owners, owner_id))


@router.post("/{owners}/{owner_id}/schedules/{name}/pause")
async def pause_schedule(
    project_id: Editor, owners: Owners, owner_id: uuid.UUID, name: str, body: PauseIn, work: WorkDep
) -> ScheduleOut:
    """`immediately`: nothing more fires. `after_next_interval`: the next occurrence still fires."""
    owner = await _owner(work.session, project_id, owners, owner_id)
    schedule = await pause(work.session, project_id, owner, name, body.mode)
    await work.commit()
    return schedule


@router.post("/{owners}/{owner_id}/schedules/{name}/resume")
async def resume_schedule(
    project_id: Editor, owners: Owners, owner_id: uuid.UUID, name: str, body: ResumeIn, work: WorkDep
) -> ScheduleOut:
    """`immediately`: fire now and recur from now. `at_next_interval`: the original rhythm, from its next
    occurrence."""
    owner = await _owner(work.session, project_id, owners, owner_id)
    schedule = await resume(work.session, project_id, owner, name, body.mode)
    await work.commit()
    return schedule
