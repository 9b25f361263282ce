"""A route that records a system event starts its pipeline when it commits: nothing waits for the sweeper
(which this test session never runs). And work recorded in a unit of work cannot be committed around it."""

import uuid

import pytest
from sqlalchemy import func, select

from domain.events.models import Event
from domain.events.service import emit_system_event
from domain.unit_of_work import UnfinishedWork
from lifecycle.unit_of_work import Dispatch
from tests.api.test_messaging import feedback_url
from tests.helpers import ProjectKeys, create_list, created, import_csv, until, upsert

USER_EVENTS = ["user.created", "user.updated", "organization.user.added", "organization.user.updated",
               "organization.user.removed", "list.user.added", "list.user.removed", "sms.received"]  # fmt: skip
ORGANIZATION_EVENTS = ["organization.created", "organization.updated"]


async def undispatched(sessions, project_id: str) -> list[str]:
    async with sessions() as session:
        query = select(Event.name).where(Event.project_id == uuid.UUID(project_id), ~Event.dispatched)
        return list(await session.scalars(query))


async def test_every_route_that_records_a_system_event_starts_its_pipeline(api, project: ProjectKeys, sessions):
    # A list listening for every system event these routes record: each one needs its workflow.
    rule = {"any": [{"event": name} for name in USER_EVENTS]
            + [{"organization_event": name} for name in ORGANIZATION_EVENTS]}  # fmt: skip
    await create_list(api, project, rule, name="listens to everything")
    static = await create_list(api, project, None, name="hand-picked")
    client, admin = project.public, project.secret
    org = {"identifier": [{"external_id": "acme"}]}
    member = {"organization": org, "user": {"identifier": [{"external_id": "ana"}]}}

    ana = await upsert(api, project, "ana")  # user.created
    await upsert(api, project, "ana", data={"plan": "pro"})  # user.updated
    for body in (org, org | {"name": "Acme"}):  # organization.created, organization.updated
        assert (await api.post("/api/client/organizations", json=body, headers=client)).status_code == 200
    for body in (member, member | {"data": {"role": "owner"}}):  # organization.user.added, .updated
        assert (await api.post("/api/client/organizations/users", json=body, headers=client)).status_code == 200
    removed = await api.request("DELETE", "/api/client/organizations/users", json=member, headers=client)
    assert removed.status_code == 204  # organization.user.removed
    # Deleting an organization removes its members (organization.user.removed) and its own events.
    gone = {"identifier": [{"external_id": "gone"}]}
    assert (await api.post("/api/client/organizations", json=gone, headers=client)).status_code == 200
    assert (await api.post("/api/client/organizations/users", json=member | {"organization": gone},
                           headers=client)).status_code == 200  # fmt: skip
    deleted = await api.request("DELETE", "/api/client/organizations", json=gone, headers=client)
    assert deleted.status_code == 204
    path = project.admin(f"/lists/{static['id']}/users/{ana['id']}")
    assert (await api.put(path, headers=admin)).status_code == 204  # list.user.added
    assert (await api.delete(path, headers=admin)).status_code == 204  # list.user.removed
    imported = await import_csv(api, project, "/users/import", "identifier,email\nbo,bo@example.com\n")
    assert imported.status_code == 200  # user.created
    provider = await created(api, project, "/providers", {
        "name": "sms", "kind": "sms", "config": {"url": "http://127.0.0.1:9/sms", "from": "+15550000000"},
    })  # fmt: skip
    await upsert(api, project, "cy", phone="+15551230000")
    reply = {"From": "+15551230000", "To": "+15550000000", "Body": "hello"}
    assert (await api.post(await feedback_url(api, project, provider["id"]), data=reply)).status_code == 204

    async with sessions() as session:
        recorded = set(await session.scalars(select(Event.name).where(Event.project_id == uuid.UUID(project.id))))
    assert set(USER_EVENTS + ORGANIZATION_EVENTS) <= recorded
    await until(lambda: undispatched(sessions, project.id), equals=[])


async def test_work_committed_around_its_unit_of_work_is_refused(project: ProjectKeys, sessions, temporal_client):
    async with Dispatch(sessions, temporal_client, "never-used").open() as work:
        emit_system_event(work, uuid.UUID(project.id), "user.created")
        with pytest.raises(UnfinishedWork):
            await work.session.commit()
    async with sessions() as session:
        count = select(func.count()).select_from(Event).where(Event.project_id == uuid.UUID(project.id))
        assert await session.scalar(count) == 0
