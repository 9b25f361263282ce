"""Broadcasts: a campaign sent once to a list's members, as a Temporal workflow with progress."""

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio.client import WorkflowFailureError

from tests.helpers import ProjectKeys, create_list, created, email_campaign, static_list, timeline, upsert
from tests.sinks import SmtpSink, body_text


async def test_a_broadcast_sends_the_campaign_once_to_each_member_of_the_list(
    api, project: ProjectKeys, temporal_client, smtp: SmtpSink
):
    campaign = await email_campaign(
        api, project, smtp.port,
        {"en": {"subject": "Sale, {{ user.data.name }}",
                "text": "{{ campaign.name }}: everything {{ campaign.off }} off"}},
        variables={"off": "20%"},
    )  # fmt: skip
    nora = await upsert(api, project, "nora", email="nora@example.com", data={"name": "Nora"})
    otto = await upsert(api, project, "otto", email="otto@example.com", data={"name": "Otto"})
    pia = await upsert(api, project, "pia")  # no email address: skipped, and the skip is counted
    await upsert(api, project, "quinn", email="quinn@example.com")  # not on the list
    audience = await static_list(api, project, [nora, otto, pia])

    response = await api.post(project.admin("/broadcasts"), json={
        "name": "Black Friday", "campaign_id": campaign["id"], "list_id": audience["id"],
    }, headers=project.secret)  # fmt: skip
    assert response.status_code == 201, response.text
    broadcast = response.json()
    assert broadcast["workflow_id"] == f"broadcast/{project.id}/{broadcast['id']}"
    progress = await temporal_client.get_workflow_handle(broadcast["workflow_id"]).result()
    assert (progress["sent"], progress["skipped"], progress["failed"]) == (2, 1, 0)

    shown = (await api.get(project.admin(f"/broadcasts/{broadcast['id']}"), headers=project.secret)).json()
    assert shown["status"] == "completed" and shown["finished_at"] is not None
    assert shown["progress"] == {"total": 3, "pending": 0, "sent": 2, "skipped": 1, "failed": 0}
    [mail] = smtp.to("nora@example.com")
    assert mail["Subject"] == "Sale, Nora" and "follow-up: everything 20% off" in body_text(mail)
    assert len(smtp.to("otto@example.com")) == 1 and smtp.to("quinn@example.com") == []
    assert "email.sent" in [event["name"] for event in await timeline(api, project, nora["id"])]


async def test_a_scheduled_broadcast_can_be_cancelled_before_it_sends(
    api, project: ProjectKeys, temporal_client, smtp: SmtpSink
):
    campaign = await email_campaign(api, project, smtp.port, {"en": {"subject": "Later", "text": "Later"}})
    rosa = await upsert(api, project, "rosa", email="rosa@example.com")
    audience = await static_list(api, project, [rosa])
    send_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    response = await api.post(project.admin("/broadcasts"), json={
        "name": "Later", "campaign_id": campaign["id"], "list_id": audience["id"], "send_at": send_at,
    }, headers=project.secret)  # fmt: skip
    broadcast = response.json()
    assert broadcast["status"] == "scheduled" and broadcast["progress"]["total"] == 0

    response = await api.post(project.admin(f"/broadcasts/{broadcast['id']}/cancel"), headers=project.secret)
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    try:
        await asyncio.wait_for(temporal_client.get_workflow_handle(broadcast["workflow_id"]).result(), 30)
        raise AssertionError("a cancelled broadcast's workflow should not complete")
    except WorkflowFailureError:
        pass
    response = await api.post(project.admin(f"/broadcasts/{broadcast['id']}/cancel"), headers=project.secret)
    assert response.status_code == 409
    assert smtp.to("rosa@example.com") == []


async def test_a_broadcast_is_checked_before_it_is_scheduled(api, project: ProjectKeys, smtp: SmtpSink):
    campaign = await email_campaign(api, project, smtp.port, {"en": {"subject": "Hi", "text": "Hi"}})
    audience = await create_list(api, project, None, name="empty")
    base = {"name": "b", "campaign_id": campaign["id"], "list_id": audience["id"]}

    async def refused(body: dict) -> tuple[int, str]:
        response = await api.post(project.admin("/broadcasts"), json=body, headers=project.secret)
        return response.status_code, response.json()["detail"]

    status, detail = await refused(base | {"send_at": "2026-12-01T09:00:00Z", "local": {"date": "2026-12-01",
                                                                                        "time": "09:00"}})  # fmt: skip
    assert status == 400 and "send_at" in detail
    status, detail = await refused(base | {"local": {"date": "2026-12-01", "time": "25:00"}})
    assert status == 400 and "local.time" in detail
    status, detail = await refused(base | {"list_id": campaign["id"]})
    assert status == 404 and "list_id" in detail
    group = await created(api, project, "/subscriptions", {"name": "n", "channel": "email"})
    status, detail = await refused(base | {"campaign_id": group["id"]})
    assert status == 404 and "campaign_id" in detail
    response = await api.put(project.admin(f"/campaigns/{campaign['id']}"), headers=project.secret, json={
        "name": "c", "channel": "email", "provider_id": campaign["provider_id"], "templates": campaign["templates"],
        "variables": {"name": "shadowed"},
    })  # fmt: skip
    assert response.status_code == 400 and "variables" in response.json()["detail"]
