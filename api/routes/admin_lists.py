import uuid

from fastapi import APIRouter, Response

from api.deps import AdminProjectDep, SessionDep, SettingsDep, TemporalDep
from api.pagination import Cursor, Limit, Page, after_id, id_page
from core.errors import Invalid
from domain.lists.models import List
from domain.lists.schemas import ListCreate, ListOut, ListUpdate, Preview, PreviewRequest
from domain.lists.service import (
    create_list,
    delete_list,
    get_list,
    list_out,
    members,
    preview,
    project_lists,
    publish_draft,
    update_list,
)
from domain.users.schemas import UserOut
from workflows.starters import start_list_recompute

router = APIRouter(prefix="/api/admin/projects/{project_id}/lists", tags=["admin: lists"])


async def _recompute(temporal: TemporalDep, settings: SettingsDep, lst: List) -> None:
    await start_list_recompute(temporal, settings.temporal_task_queue, str(lst.project_id), str(lst.id), lst.version)


@router.post("", status_code=201)
async def create(
    body: ListCreate, project_id: AdminProjectDep, session: SessionDep, temporal: TemporalDep, settings: SettingsDep
) -> ListOut:
    """Create a list; a dynamic list's rule is published and recomputed at once (workflow `list/<id>/recompute`)."""
    lst = await create_list(session, project_id, body)
    await session.commit()
    if lst.rule is not None:
        await _recompute(temporal, settings, lst)
    return await list_out(session, lst)


@router.get("")
async def index(project_id: AdminProjectDep, session: SessionDep) -> list[ListOut]:
    return [await list_out(session, lst) for lst in await project_lists(session, project_id)]


@router.get("/{list_id}")
async def show(project_id: AdminProjectDep, list_id: uuid.UUID, session: SessionDep) -> ListOut:
    return await list_out(session, await get_list(session, project_id, list_id))


@router.patch("/{list_id}")
async def edit(project_id: AdminProjectDep, list_id: uuid.UUID, body: ListUpdate, session: SessionDep) -> ListOut:
    """Rename, or save a rule as a draft (preview it, then publish it)."""
    lst = await update_list(session, project_id, list_id, body)
    await session.commit()
    return await list_out(session, lst)


@router.post("/{list_id}/preview")
async def preview_rule(
    project_id: AdminProjectDep, list_id: uuid.UUID, session: SessionDep, body: PreviewRequest | None = None
) -> Preview:
    """Count and sample the users a rule selects: the given one, else the draft, else the published rule."""
    lst = await get_list(session, project_id, list_id)
    rule = (body.rule if body else None) or lst.draft_rule or lst.rule
    if rule is None:
        raise Invalid("rule: nothing to preview")
    return await preview(session, project_id, rule)


@router.post("/{list_id}/publish")
async def publish(
    project_id: AdminProjectDep,
    list_id: uuid.UUID,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> ListOut:
    """Publish the draft rule and recompute the whole list."""
    lst = await publish_draft(session, project_id, list_id)
    await session.commit()
    await _recompute(temporal, settings, lst)
    return await list_out(session, lst)


@router.delete("/{list_id}", status_code=204)
async def remove(project_id: AdminProjectDep, list_id: uuid.UUID, session: SessionDep) -> Response:
    await delete_list(session, project_id, list_id)
    await session.commit()
    return Response(status_code=204)


@router.get("/{list_id}/users")
async def list_members(
    project_id: AdminProjectDep, list_id: uuid.UUID, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[UserOut]:
    lst = await get_list(session, project_id, list_id)
    users = await members(session, lst, limit, after_id(cursor))
    return id_page([UserOut.model_validate(u) for u in users], [u.id for u in users], limit)
