"""What happens to a message after it is sent: click and open tracking, provider delivery reports,
bounces, complaints and SMS replies — on real PostgreSQL, Temporal and an SMTP server."""

import re
from html import unescape

from tests.api.test_lists import post_events, upsert
from tests.conftest import ProjectKeys, timeline
from tests.journeys import email_campaign, live_journey, run_result
from tests.sinks import SmtpSink

PUBLIC_URL = "http://localhost:8000"


def welcome(campaign_id: str) -> dict:
    return {
        "entry": {"type": "entrance", "event": "signed.up", "next": "welcome"},
        "welcome": {"type": "send", "campaign_id": campaign_id},
    }


def html_part(message) -> str:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/html"]
    return part.get_payload(decode=True).decode()


async def test_clicks_and_opens_of_an_email_are_recorded_and_redirect_to_the_original_link(
    api, project: ProjectKeys, temporal_client, smtp: SmtpSink
):
    campaign = await email_campaign(
        api,
        project,
        smtp.port,
        {"en": {"subject": "Welcome", "html": (
            '<html><body><p>Hi {{ user.data.first_name }}, <a href="https://shop.example.com/offer?a=1&amp;b=2">'
            'see the offer</a>, <a href="mailto:help@example.com">write to us</a>.</p></body></html>'
        )}},
    )  # fmt: skip
    journey = await live_journey(api, project, welcome(campaign["id"]))
    erin = await upsert(api, project, "erin", email="erin@example.com", data={"first_name": "Erin"})
    await post_events(api, project, temporal_client, [{"name": "signed.up", "identifier": [{"external_id": "erin"}]}])
    await run_result(temporal_client, journey["id"], erin["id"])

    [mail] = smtp.to("erin@example.com")
    body = html_part(mail)
    assert "Hi Erin" in body and 'href="mailto:help@example.com"' in body  # only web links are tracked
    [click] = [unescape(href) for href in re.findall(r'href="([^"]+)"', body) if "/api/track/" in href]
    [pixel] = re.findall(r'<img src="([^"]+/open/[^"]+)"', body)

    response = await api.get(click.removeprefix(PUBLIC_URL))
    assert response.status_code == 302
    assert response.headers["location"] == "https://shop.example.com/offer?a=1&b=2"
    response = await api.get(unescape(pixel).removeprefix(PUBLIC_URL))
    assert response.status_code == 200 and response.headers["content-type"] == "image/gif"

    # A link whose target was changed is refused, not followed (no open redirect), and records nothing.
    forged = click.removeprefix(PUBLIC_URL).replace("shop.example.com", "evil.example.com")
    response = await api.get(forged)
    assert response.status_code == 400 and "signature" in response.json()["detail"]

    events = {event["name"]: event["data"] for event in await timeline(api, project, erin["id"])}
    message = {"campaign_id": campaign["id"], "message_id": mail["Message-ID"].strip("<>")}
    assert events["email.clicked"] == message | {"url": "https://shop.example.com/offer?a=1&b=2"}
    assert events["link.clicked"] == message | {"original_url": "https://shop.example.com/offer?a=1&b=2"}
    assert events["email.opened"] == message
    assert [e["name"] for e in await timeline(api, project, erin["id"])].count("email.clicked") == 1
