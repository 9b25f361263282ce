import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import InstanceAdminDep, SessionDep
from domain.projects.service import create_project, list_projects
from domain.wire import OutModel

router = APIRouter(prefix="/api/admin/projects", tags=["projects"])


class ProjectCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class ProjectOut(OutModel):
    id: uuid.UUID
    name: str
    created_at: datetime


class CreatedProjectOut(ProjectOut):
    public_key: str
    secret_key: str


@router.post("", status_code=201)
async def create(body: ProjectCreate, session: SessionDep, _: InstanceAdminDep) -> CreatedProjectOut:
    """Create a project. The response is the only time the secret key is shown."""
    created = await create_project(session, body.name)
    await session.commit()
    project = created.project
    return CreatedProjectOut(
        id=project.id,
        name=project.name,
        created_at=project.created_at,
        public_key=created.public_key,
        secret_key=created.secret_key,
    )


@router.get("")
async def index(session: SessionDep, _: InstanceAdminDep) -> list[ProjectOut]:
    return [ProjectOut.model_validate(p) for p in await list_projects(session)]
