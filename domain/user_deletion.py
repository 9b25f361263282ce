"""Deleting a user: a flow across areas (their runs stop, then the user goes with everything of theirs)."""

import uuid
from collections.abc import Sequence

from domain.identifiers import IdentifierKey
from domain.journeys.models import JourneyRun
from domain.journeys.service import stop_open_runs
from domain.unit_of_work import UnitOfWork
from domain.users.service import delete_user, lock_and_find_user


async def delete_user_everywhere(work: UnitOfWork, project_id: uuid.UUID, keys: Sequence[IdentifierKey]) -> None:
    """The user's memberships, schedules and events go with them (the database cascades); their open
    journey runs are stopped once the deletion commits."""
    user = await lock_and_find_user(work.session, project_id, keys)
    await stop_open_runs(work, JourneyRun.user_id == user.id, "user deleted")
    await delete_user(work.session, user)
