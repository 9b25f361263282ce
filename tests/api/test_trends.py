"""The charts' counts: a campaign's and a journey's messages over time, a list's size over time, folded in
by the system clock from the events the messages caused — on real PostgreSQL, Temporal and SMTP."""

import re
import uuid
from html import unescape

from core.config import Settings
from domain.schedules.payloads import SYSTEM_CLOCK_WORKFLOW, SystemClockInput
from tests.helpers import (
    ProjectKeys,
    email_campaign,
    live_journey,
    post_events,
    run_result,
    static_list,
    until,
    upsert,
    welcome,
)
from tests.sinks import SmtpSink

PUBLIC_URL = "http://localhost:8000"


async def test_engagement_and_list_sizes_are_charted_from_what_happened(
    api, project: ProjectKeys, temporal_client, smtp: SmtpSink, settings: Settings
):
    campaign = await email_campaign(
        api,
        project,
        smtp.port,
        {"en": {"subject": "Hi", "html": '<p><a href="https://shop.example.com/">Shop</a></p>'}},
    )
    journey = await live_journey(api, project, welcome(campaign["id"]))
    people = [await upsert(api, project, name, email=f"{name}.chart@example.com") for name in ("uma", "vic")]
    for person in ("uma", "vic"):
        await post_events(
            api, project, temporal_client, [{"name": "signed.up", "identifier": [{"external_id": person}]}]
        )
    for person in people:
        await run_result(temporal_client, journey["id"], person["id"])
    [mail] = smtp.to("uma.chart@example.com")
    body = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    [click] = [unescape(h) for h in re.findall(r'href="([^"]+)"', body) if "/api/track/" in h]
    [pixel] = re.findall(r'<img src="([^"]+/open/[^"]+)"', body)
    assert (await api.get(unescape(pixel).removeprefix(PUBLIC_URL))).status_code == 200
    assert (await api.get(click.removeprefix(PUBLIC_URL))).status_code == 302
    audience = await static_list(api, project, people)

    async def tick() -> None:
        """One round of the system clock: its minute's work includes the fold."""
        await temporal_client.execute_workflow(
            SYSTEM_CLOCK_WORKFLOW, SystemClockInput(tick_seconds=1, rounds=1),
            id=f"clock-{uuid.uuid4()}", task_queue=settings.temporal_task_queue,
        )  # fmt: skip

    async def totals(path: str) -> dict[str, int]:
        response = await api.get(project.admin(path), params={"days": 1}, headers=project.secret)
        assert response.status_code == 200, response.text
        chart = response.json()
        assert chart["bucket"] == "hour" and len(chart["points"]) == 25
        return {m: sum(p["counts"][m] or 0 for p in chart["points"]) for m in ("sent", "opened", "clicked", "bounced")}

    async def folded() -> dict[str, int]:
        await tick()
        return await totals(f"/campaigns/{campaign['id']}/engagement")

    expected = {"sent": 2, "opened": 1, "clicked": 1, "bounced": 0}
    await until(folded, equals=expected, seconds=60)  # events of the last seconds wait for the next fold
    await tick()  # a later fold counts nothing twice
    assert await totals(f"/campaigns/{campaign['id']}/engagement") == expected
    assert await totals(f"/journeys/{journey['id']}/engagement") == expected

    sizes = await api.get(project.admin(f"/lists/{audience['id']}/sizes"), headers=project.secret)
    chart = sizes.json()
    assert chart["bucket"] == "day" and len(chart["points"]) == 30
    assert chart["points"][-1]["counts"] == {"members": 2} and chart["points"][0]["counts"] == {"members": None}

    too_far = await api.get(
        project.admin(f"/lists/{audience['id']}/sizes"), params={"days": 400}, headers=project.secret
    )
    assert too_far.status_code == 400 and "days" in too_far.text
