import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import Field

from api.access import Admin, CallerDep, InstanceAdminDep, Viewer
from api.deps import SessionDep, WorkDep
from core.errors import Forbidden
from domain.accounts.service import memberships, start_project
from domain.audit import AuditTrail
from domain.messaging.schemas import ProjectSettingsIn
from domain.projects.service import get_project, list_projects, update_settings
from domain.wire import ManagementModel, OutModel

router = APIRouter(prefix="/api/admin/projects", tags=["projects"])


class ProjectCreate(ManagementModel):
    name: str = Field(min_length=1, max_length=200)


class ProjectOut(OutModel):
    id: uuid.UUID
    name: str
    default_locale: str
    subscription_default: str
    page_texts: dict[str, dict[str, str]]
    created_at: datetime


class CreatedProjectOut(ProjectOut):
    public_key: str
    secret_key: str


@router.post("", status_code=201)
async def create(body: ProjectCreate, work: WorkDep, who: InstanceAdminDep) -> CreatedProjectOut:
    """Create a project (the instance admin key, or an instance admin's session or token: they become its
    owner). The response is the only time its first secret key is shown."""
    work.audited(AuditTrail(who.actor, "POST /api/admin/projects", None, ("project", None)))
    created = await start_project(work.session, body.name, who.account, who.actor.label)
    await work.commit()
    project = created.project
    return CreatedProjectOut(
        id=project.id,
        name=project.name,
        default_locale=project.default_locale,
        subscription_default=project.subscription_default,
        page_texts=project.page_texts or {},
        created_at=project.created_at,
        public_key=created.public_key,
        secret_key=created.secret_key,
    )


@router.get("")
async def index(session: SessionDep, who: CallerDep) -> list[ProjectOut]:
    """Every project of this instance for instance admins; a team member's own projects otherwise."""
    if who.instance_admin:
        return [ProjectOut.model_validate(p) for p in await list_projects(session)]
    if who.account is None:
        raise Forbidden("this needs the instance admin key, or a team member's session or token")
    mine = [m.project_id for m in await memberships(session, who.account.id)]
    return [ProjectOut.model_validate(p) for p in await list_projects(session, only=mine)]


@router.get("/{project_id}")
async def show(project_id: Viewer, session: SessionDep) -> ProjectOut:
    """The project's settings: name, default locale and subscription default."""
    return ProjectOut.model_validate(await get_project(session, project_id))


@router.patch("/{project_id}")
async def settings(project_id: Admin, body: ProjectSettingsIn, work: WorkDep) -> ProjectOut:
    """Messaging settings: the fallback locale of templates, whether users are subscribed to a group
    until they opt out (`opt_out`, the default) or only once they opt in (`opt_in`), and the texts of
    the recipients' pages per locale (`page_texts`)."""
    project = await update_settings(
        work.session, project_id, body.default_locale, body.subscription_default, body.page_texts_data()
    )
    await work.commit()
    return ProjectOut.model_validate(project)
