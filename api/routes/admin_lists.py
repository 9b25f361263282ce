import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, UploadFile

from api.access import Editor, Viewer
from api.charts import Days, chart
from api.deps import SessionDep, SettingsDep, TemporalDep, WorkDep
from api.pagination import Cursor, Limit, Page, after_id, id_page
from core.errors import Invalid
from domain.lists.membership import add_members
from domain.lists.models import List
from domain.lists.schemas import ImportOut, ListCreate, ListOut, ListUpdate, Preview, PreviewRequest
from domain.lists.service import (
    create_list,
    delete_list,
    get_list,
    list_out,
    member_counts,
    members,
    preview,
    project_lists,
    publish_draft,
    remove_member,
    require_static,
    update_list,
)
from domain.trends.schemas import SeriesOut
from domain.users.csv_import import import_users
from domain.users.schemas import UserOut
from domain.users.service import get_user
from lifecycle.lists import start_list_recompute

router = APIRouter(prefix="/api/admin/projects/{project_id}/lists", tags=["admin: lists"])


async def _recompute(temporal: TemporalDep, settings: SettingsDep, lst: List) -> None:
    await start_list_recompute(temporal, settings.temporal_task_queue, str(lst.project_id), str(lst.id), lst.version)


@router.post("", status_code=201)
async def create(
    body: ListCreate, project_id: Editor, work: WorkDep, temporal: TemporalDep, settings: SettingsDep
) -> ListOut:
    """Create a list; a dynamic list's rule is published and recomputed at once (workflow `list/<id>/recompute`)."""
    lst = await create_list(work.session, project_id, body)
    await work.commit()
    if lst.rule is not None:
        await _recompute(temporal, settings, lst)
    return await list_out(work.session, lst)


@router.get("")
async def index(project_id: Viewer, session: SessionDep) -> list[ListOut]:
    """The project's lists with their rule summary, size and recompute state."""
    lists = await project_lists(session, project_id)
    counts = await member_counts(session, [lst.id for lst in lists])
    return [await list_out(session, lst, counts.get(lst.id, 0)) for lst in lists]


@router.get("/{list_id}")
async def show(project_id: Viewer, list_id: uuid.UUID, session: SessionDep) -> ListOut:
    """One list: rule (published and draft), size, recompute progress."""
    return await list_out(session, await get_list(session, project_id, list_id))


@router.get("/{list_id}/sizes")
async def sizes(project_id: Viewer, list_id: uuid.UUID, session: SessionDep, days: Days = 30) -> SeriesOut:
    """The list's members over time: its size at the top of each hour, the last of each day for longer spans."""
    lst = await get_list(session, project_id, list_id)
    return await chart(session, lst.id, ("members",), days)


@router.patch("/{list_id}")
async def edit(project_id: Editor, list_id: uuid.UUID, body: ListUpdate, work: WorkDep) -> ListOut:
    """Rename, or save a rule as a draft (preview it, then publish it)."""
    lst = await update_list(work.session, project_id, list_id, body)
    await work.commit()
    return await list_out(work.session, lst)


@router.post("/{list_id}/preview")
async def preview_rule(
    project_id: Viewer, list_id: uuid.UUID, session: SessionDep, body: PreviewRequest | None = None
) -> Preview:
    """Count and sample the users a rule selects: the given one, else the draft, else the published rule."""
    lst = await get_list(session, project_id, list_id)
    rule = (body.rule if body else None) or lst.draft_rule or lst.rule
    if rule is None:
        raise Invalid("rule: nothing to preview")
    return await preview(session, project_id, rule)


@router.post("/{list_id}/publish")
async def publish(
    project_id: Editor,
    list_id: uuid.UUID,
    work: WorkDep,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> ListOut:
    """Publish the draft rule and recompute the whole list."""
    lst = await publish_draft(work.session, project_id, list_id)
    await work.commit()
    await _recompute(temporal, settings, lst)
    return await list_out(work.session, lst)


@router.delete("/{list_id}", status_code=204)
async def remove(project_id: Editor, list_id: uuid.UUID, work: WorkDep) -> Response:
    """Delete the list and its memberships."""
    await delete_list(work.session, project_id, list_id)
    await work.commit()
    return Response(status_code=204)


@router.get("/{list_id}/users")
async def list_members(
    project_id: Viewer,
    list_id: uuid.UUID,
    session: SessionDep,
    email: Annotated[str | None, Query(min_length=1, max_length=320, description="any case")] = None,
    external_id: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[UserOut]:
    """The list's members, by cursor; with `email` or `external_id`, only the member it names (none: not in it)."""
    lst = await get_list(session, project_id, list_id)
    users = await members(session, lst, limit, after_id(cursor), email=email, external_id=external_id)
    return id_page([UserOut.model_validate(u) for u in users], [u.id for u in users], limit)


@router.post("/{list_id}/users")
async def import_members(project_id: Editor, list_id: uuid.UUID, file: UploadFile, work: WorkDep) -> ImportOut:
    """Import a CSV into a static list: users are created or updated, then added to the list."""
    lst = await get_list(work.session, project_id, list_id)
    require_static(lst)
    result = await import_users(work, project_id, await file.read())
    added = await add_members(work, lst, result.user_ids)
    await work.commit()
    return ImportOut.model_validate(result).model_copy(update={"added_to_list": added})


@router.put("/{list_id}/users/{user_id}", status_code=204)
async def add_member(project_id: Editor, list_id: uuid.UUID, user_id: uuid.UUID, work: WorkDep) -> Response:
    """Add a user to a static list (`list.user.added`)."""
    lst = await get_list(work.session, project_id, list_id)
    require_static(lst)
    await add_members(work, lst, [(await get_user(work.session, project_id, user_id)).id])
    await work.commit()
    return Response(status_code=204)


@router.delete("/{list_id}/users/{user_id}", status_code=204)
async def remove_list_member(project_id: Editor, list_id: uuid.UUID, user_id: uuid.UUID, work: WorkDep) -> Response:
    """Take a user out of a static list (`list.user.removed`)."""
    await remove_member(work, await get_list(work.session, project_id, list_id), user_id)
    await work.commit()
    return Response(status_code=204)
