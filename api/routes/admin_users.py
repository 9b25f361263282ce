import uuid
from typing import Annotated

from fastapi import APIRouter, Query, UploadFile

from api.access import Editor, Viewer
from api.deps import SessionDep, WorkDep
from api.pagination import Cursor, Limit, Page, after_id, id_page
from domain.events.models import Event
from domain.events.queries import timeline
from domain.events.schemas import TimelinePage
from domain.identifiers import DEFAULT_SOURCE, IdentifierKey
from domain.journeys.schemas import UserRunOut
from domain.journeys.service import user_runs
from domain.lists.schemas import ImportOut
from domain.users.csv_import import import_users
from domain.users.queries import list_users
from domain.users.schemas import UserOut
from domain.users.service import find_user, get_user

router = APIRouter(prefix="/api/admin/projects/{project_id}/users", tags=["admin: users"])


@router.get("", response_model=None)
async def index(
    project_id: Viewer,
    session: SessionDep,
    external_id: Annotated[str | None, Query(min_length=1)] = None,
    source: Annotated[str, Query(min_length=1)] = DEFAULT_SOURCE,
    email: Annotated[str | None, Query(min_length=1, max_length=320, description="any case")] = None,
    phone: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> UserOut | Page[UserOut]:
    """With `external_id` (and `source`, default `default`): that user, or 404. Without: a page of users,
    only those with `email` or `phone` if given."""
    if external_id is not None:
        return UserOut.model_validate(await find_user(session, project_id, [IdentifierKey(source, external_id)]))
    users = await list_users(session, project_id, limit, after_id(cursor), email=email, phone=phone)
    return id_page([UserOut.model_validate(u) for u in users], [u.id for u in users], limit)


@router.post("/import")
async def import_csv(project_id: Editor, file: UploadFile, work: WorkDep) -> ImportOut:
    """Create or update users from a CSV (header row; `identifier` or `external_id` column required)."""
    result = await import_users(work, project_id, await file.read())
    await work.commit()
    return ImportOut.model_validate(result)


@router.get("/{user_id}")
async def show(project_id: Viewer, user_id: uuid.UUID, session: SessionDep) -> UserOut:
    """One user: profile, data and identifiers."""
    return UserOut.model_validate(await get_user(session, project_id, user_id))


@router.get("/{user_id}/events")
async def events(
    project_id: Viewer,
    user_id: uuid.UUID,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> TimelinePage:
    """The user's timeline, newest first, client and system events alike."""
    await get_user(session, project_id, user_id)
    return await timeline(session, Event.user_id == user_id, limit, cursor)


@router.get("/{user_id}/journeys")
async def journeys(project_id: Viewer, user_id: uuid.UUID, session: SessionDep, limit: Limit = 50) -> list[UserRunOut]:
    """The journeys the user is in or was in: their runs, newest first, with the step each stands at."""
    await get_user(session, project_id, user_id)
    return [
        UserRunOut.model_validate(r, from_attributes=True) for r in await user_runs(session, project_id, user_id, limit)
    ]
