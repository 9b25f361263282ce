"""What happens to a message after it is sent: click and open tracking, provider delivery reports,
bounces, complaints and SMS replies — on real PostgreSQL, Temporal and an SMTP server."""

import asyncio
import re
import ssl
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html import unescape
from urllib.parse import parse_qs

import trustme

from activities.messaging import smtp_tls_context
from tests.helpers import (
    ProjectKeys,
    created,
    email_campaign,
    live_journey,
    post_events,
    run_result,
    runs,
    timeline,
    upsert,
    welcome,
)
from tests.sinks import HttpSink, SmtpSink, free_port

PUBLIC_URL = "http://localhost:8000"


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
    # The id's domain is the sender's; the Date is when it was handed over.
    assert mail["Message-ID"].endswith("@example.com>") and mail["MIME-Version"] == "1.0"
    assert abs(datetime.now(UTC) - parsedate_to_datetime(mail["Date"])) < timedelta(minutes=5)
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
    message = {"campaign_id": campaign["id"], "message_id": mail["Message-ID"].strip("<>"), "journey_id": journey["id"]}
    assert events["email.clicked"] == message | {"url": "https://shop.example.com/offer?a=1&b=2"}
    assert events["link.clicked"] == message | {"original_url": "https://shop.example.com/offer?a=1&b=2"}
    assert events["email.opened"] == message
    assert [e["name"] for e in await timeline(api, project, erin["id"])].count("email.clicked") == 1


async def feedback_url(api, project: ProjectKeys, provider_id: str) -> str:
    providers = (await api.get(project.admin("/providers"), headers=project.secret)).json()
    [url] = [p["feedback_url"] for p in providers if p["id"] == provider_id]
    return url.removeprefix(PUBLIC_URL)


async def messages(api, project: ProjectKeys, user_id: str) -> list[tuple[str, str | None]]:
    response = await api.get(project.admin(f"/users/{user_id}/messages"), headers=project.secret)
    return [(m["status"], m["reason"]) for m in reversed(response.json())]


async def test_bounces_and_complaints_suppress_the_address_even_for_transactional_email(
    api, project: ProjectKeys, temporal_client, smtp: SmtpSink
):
    receipt = await email_campaign(api, project, smtp.port, {"en": {"subject": "Receipt", "text": "Paid"}},
                                   transactional=True)  # fmt: skip
    steps = welcome(receipt["id"])
    steps["entry"] |= {"event": "paid", "multiple": True}
    journey = await live_journey(api, project, steps)
    names = ("ivy", "jack", "kim", "lou")
    users = {name: await upsert(api, project, name, email=f"{name}@example.com") for name in names}
    smtp.unknown_recipients.add("lou@example.com")  # refused by the receiving server at send time

    async def pay(sequence: int) -> None:
        await post_events(api, project, temporal_client,
                          [{"name": "paid", "identifier": [{"external_id": name}]} for name in names])  # fmt: skip
        for user in users.values():
            await run_result(temporal_client, journey["id"], user["id"], sequence)

    await pay(1)
    message_ids = {name: smtp.to(f"{name}@example.com")[0]["Message-ID"] for name in ("ivy", "jack", "kim")}
    url = await feedback_url(api, project, receipt["provider_id"])
    response = await api.post(url, json=[
        {"type": "delivered", "message_id": message_ids["ivy"]},
        {"type": "bounced", "message_id": message_ids["jack"], "bounce_type": "hard", "reason": "mailbox unknown"},
        {"type": "complained", "message_id": message_ids["kim"]},
        {"type": "delivered", "message_id": "<0123456789abcdef0123456789abcdef@tempogram>"},
    ])  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json() == {"recorded": 3, "unknown": ["<0123456789abcdef0123456789abcdef@tempogram>"]}
    # The provider retries its webhook: nothing is recorded twice.
    again = [{"type": "bounced", "message_id": message_ids["jack"], "reason": "mailbox unknown"}]
    assert (await api.post(url, json=again)).json() == {"recorded": 1, "unknown": []}

    await pay(2)
    assert len(smtp.to("ivy@example.com")) == 2
    assert len(smtp.to("jack@example.com")) == len(smtp.to("kim@example.com")) == 1
    assert await messages(api, project, users["jack"]["id"]) == [
        ("sent", None), ("skipped", "the address bounced (mailbox unknown)")
    ]  # fmt: skip
    assert (await messages(api, project, users["kim"]["id"]))[1] == (
        "skipped", "the recipient reported a message as spam"
    )  # fmt: skip
    [(status, reason), skipped] = await messages(api, project, users["lou"]["id"])
    assert status == "failed" and "No such user" in reason and skipped[0] == "skipped"

    def names_of(events: list[dict]) -> list[str]:
        return [event["name"] for event in events if event["name"].startswith("email.")]

    assert names_of(await timeline(api, project, users["ivy"]["id"])).count("email.delivered") == 1
    [bounce] = [e for e in await timeline(api, project, users["jack"]["id"]) if e["name"] == "email.bounced"]  # once
    assert bounce["data"] == {"campaign_id": receipt["id"], "message_id": message_ids["jack"].strip("<>"),
                              "journey_id": journey["id"], "reason": "mailbox unknown",
                              "bounce_type": "hard"}  # fmt: skip
    assert "email.complained" in names_of(await timeline(api, project, users["kim"]["id"]))
    assert "email.bounced" in names_of(await timeline(api, project, users["lou"]["id"]))

    listed = (await api.get(project.admin("/suppressions"), headers=project.secret)).json()
    assert sorted((s["address"], s["reason"]) for s in listed) == [
        ("jack@example.com", "hard_bounce"), ("kim@example.com", "complaint"), ("lou@example.com", "hard_bounce")
    ]  # fmt: skip
    # The operator lifts Jack's suppression after he fixed his mailbox: he is sent to again.
    response = await api.delete(project.admin("/suppressions/email/jack@example.com"), headers=project.secret)
    assert response.status_code == 204
    response = await api.delete(project.admin("/suppressions/email/jack@example.com"), headers=project.secret)
    assert response.status_code == 404 and "jack@example.com" in response.json()["detail"]
    await pay(3)
    assert len(smtp.to("jack@example.com")) == 2 and len(smtp.to("kim@example.com")) == 1


async def test_a_recipient_refused_for_now_is_retried_not_suppressed(
    api, project: ProjectKeys, temporal_client, smtp: SmtpSink
):
    campaign = await email_campaign(api, project, smtp.port, {"en": {"subject": "Hello", "text": "Hi"}})
    journey = await live_journey(api, project, welcome(campaign["id"]))
    sam = await upsert(api, project, "sam", email="sam@example.com")
    smtp.busy_recipients.add("sam@example.com")
    refused_before = smtp.refused
    await post_events(api, project, temporal_client, [{"name": "signed.up", "identifier": [{"external_id": "sam"}]}])
    for _ in range(200):
        if smtp.refused > refused_before:
            break
        await asyncio.sleep(0.05)
    assert smtp.refused > refused_before, "the send was never attempted"
    smtp.busy_recipients.clear()
    await run_result(temporal_client, journey["id"], sam["id"])

    assert len(smtp.to("sam@example.com")) == 1
    assert await messages(api, project, sam["id"]) == [("sent", None)]
    assert (await api.get(project.admin("/suppressions"), headers=project.secret)).json() == []


async def test_a_send_that_can_never_succeed_fails_at_once_with_its_reason(
    api, project: ProjectKeys, temporal_client, smtp: SmtpSink
):
    """The provider has credentials, the server offers no AUTH: no retry can help."""
    config = {"host": "127.0.0.1", "port": smtp.port, "tls": "none", "from": "shop@example.com",
              "username": "shop", "password": "secret"}  # fmt: skip
    provider = await created(api, project, "/providers", {"name": "auth", "kind": "smtp", "config": config})
    campaign = await created(api, project, "/campaigns", {
        "name": "hello", "channel": "email", "provider_id": provider["id"],
        "templates": {"en": {"subject": "Hello", "text": "Hi"}},
    })  # fmt: skip
    steps = {
        **welcome(campaign["id"]),
        "welcome": {"type": "send", "campaign_id": campaign["id"], "data_key": "hi", "next": "note"},
        "note": {"type": "update", "body": '{"hi": "{{ journey.hi.status }}: {{ journey.hi.reason }}"}'},
    }
    journey = await live_journey(api, project, steps)
    ola = await upsert(api, project, "ola", email="ola@example.com")
    await post_events(api, project, temporal_client, [{"name": "signed.up", "identifier": [{"external_id": "ola"}]}])
    assert (await run_result(temporal_client, journey["id"], ola["id"]))["status"] == "completed"

    reason = "SMTP: The SMTP AUTH extension is not supported by this server. Try connecting via TLS (or STARTTLS)."
    assert await messages(api, project, ola["id"]) == [("failed", reason)]
    user = (await api.get(project.admin(f"/users/{ola['id']}"), headers=project.secret)).json()
    assert user["data"]["hi"] == f"failed: {reason}"
    [run] = await runs(api, project, journey["id"], ola["id"])
    assert [v["result"]["reason"] for v in run["history"] if v["step_id"] == "welcome"] == [reason]


async def test_a_passing_provider_failure_shows_retrying_with_the_error_then_sends(
    api, project: ProjectKeys, temporal_client
):
    port = free_port()  # nothing listens there yet
    campaign = await email_campaign(api, project, port, {"en": {"subject": "Later", "text": "Hi"}})
    journey = await live_journey(api, project, welcome(campaign["id"]))
    pia = await upsert(api, project, "pia", email="pia@example.com")
    await post_events(api, project, temporal_client, [{"name": "signed.up", "identifier": [{"external_id": "pia"}]}])
    for _ in range(200):
        shown = await messages(api, project, pia["id"])
        if shown and shown[0][0] == "retrying":
            break
        await asyncio.sleep(0.05)
    [(status, reason)] = await messages(api, project, pia["id"])
    assert status == "retrying" and reason.startswith("attempt 1 failed: SMTPConnectError"), reason

    late = SmtpSink(port=port)
    late.start()
    try:
        await run_result(temporal_client, journey["id"], pia["id"])
        assert len(late.to("pia@example.com")) == 1
    finally:
        late.stop()
    assert await messages(api, project, pia["id"]) == [("sent", None)]


async def test_provider_reports_are_checked(api, project: ProjectKeys, smtp: SmtpSink):
    campaign = await email_campaign(api, project, smtp.port, {"en": {"subject": "Hi", "text": "Hi"}})
    url = await feedback_url(api, project, campaign["provider_id"])
    response = await api.post(url, json={"type": "lost", "message_id": "x"})
    assert response.status_code == 400 and "type" in response.json()["detail"]
    response = await api.post(url[:-3] + "abc", json={"type": "delivered", "message_id": "x"})
    assert response.status_code == 400 and "signature" in response.json()["detail"]
    response = await api.post(url.replace("/reports/", "/sms/"), data={"From": "+1555"})
    assert response.status_code == 400 and "provider" in response.json()["detail"]


async def test_sms_delivery_callbacks_and_stop_and_start_replies(
    api, project: ProjectKeys, temporal_client, http_sink: HttpSink
):
    group = await created(api, project, "/subscriptions", {"name": "Offers by SMS", "channel": "sms"})
    provider = await created(api, project, "/providers", {
        "name": "sms", "kind": "sms", "config": {"url": f"{http_sink.url}/sms", "from": "+15550000000"},
    })  # fmt: skip
    campaign = await created(api, project, "/campaigns", {
        "name": "offer", "channel": "sms", "provider_id": provider["id"], "subscription_group_id": group["id"],
        "templates": {"en": {"text": "20% off today"}},
    })  # fmt: skip
    steps = welcome(campaign["id"])
    steps["entry"] |= {"event": "browsed", "multiple": True}
    journey = await live_journey(api, project, steps)
    mia = await upsert(api, project, "mia", phone="+15557654321")

    async def browse(sequence: int) -> None:
        await post_events(api, project, temporal_client, [{"name": "browsed", "identifier": [{"external_id": "mia"}]}])
        await run_result(temporal_client, journey["id"], mia["id"], sequence)

    async def reply(text: str) -> None:
        url = await feedback_url(api, project, provider["id"])
        response = await api.post(url, data={"From": "+15557654321", "To": "+15550000000", "Body": text})
        assert response.status_code == 204, response.text

    await browse(1)
    [sent] = [parse_qs(r.body) for r in http_sink.requests if r.path == "/sms"]
    [status_callback] = sent["StatusCallback"]
    response = await api.post(status_callback.removeprefix(PUBLIC_URL), data={"MessageStatus": "delivered"})
    assert response.status_code == 204, response.text

    await reply(" Stop ")
    subscriptions = (await api.get(project.admin(f"/users/{mia['id']}/subscriptions"), headers=project.secret)).json()
    assert [(s["name"], s["state"]) for s in subscriptions] == [("Offers by SMS", "unsubscribed")]
    await browse(2)
    await reply("START")
    await browse(3)

    assert len([r for r in http_sink.requests if r.path == "/sms"]) == 2
    assert [status for status, _ in await messages(api, project, mia["id"])] == ["sent", "skipped", "sent"]
    assert (await messages(api, project, mia["id"]))[1][1] == "the recipient replied STOP"
    events = [(e["name"], e["data"]) for e in await timeline(api, project, mia["id"]) if e["name"].startswith("sms.")]
    assert [name for name, _ in events].count("sms.delivered") == 1
    assert sorted(data["body"] for name, data in events if name == "sms.received") == ["START", "Stop"]
    changes = [e["data"] for e in await timeline(api, project, mia["id"]) if e["name"] == "subscription.updated"]
    assert [(c["state"], c["source"]) for c in changes] == [("subscribed", "sms_reply"), ("unsubscribed", "sms_reply")]


async def test_a_cookie_one_webhook_endpoint_sets_is_never_sent_with_a_later_call(
    api, project: ProjectKeys, temporal_client, http_sink: HttpSink
):
    """Webhooks of every project go through one HTTP client per worker: it must keep no cookies."""
    http_sink.cookie = "session=of-the-first-caller; Path=/"
    provider = await created(api, project, "/providers", {"name": "hooks", "kind": "webhook"})
    campaign = await created(api, project, "/campaigns", {
        "name": "ping", "channel": "webhook", "provider_id": provider["id"],
        "templates": {"en": {"url": f"{http_sink.url}/ping", "body": {"user": "{{ user.external_id }}"}}},
    })  # fmt: skip
    journey = await live_journey(api, project, welcome(campaign["id"]))
    for name in ("ann", "bob"):
        user = await upsert(api, project, name)
        await post_events(api, project, temporal_client, [{"name": "signed.up", "identifier": [{"external_id": name}]}])
        await run_result(temporal_client, journey["id"], user["id"])

    calls = [request for request in http_sink.requests if request.path == "/ping"]
    assert [call.body for call in calls] == [{"user": "ann"}, {"user": "bob"}]
    assert all("Cookie" not in call.headers for call in calls)


async def test_email_goes_over_starttls_to_a_server_whose_certificate_is_verified(
    api, project: ProjectKeys, temporal_client
):
    """The provider's default `tls` is `starttls`. The test's certificate authority is trusted by the
    worker (in this process) the way a public one is in production; the sink refuses mail before STARTTLS."""
    authority = trustme.CA()
    authority.configure_trust(smtp_tls_context())
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    sink = SmtpSink(tls_context=server_context)
    sink.start()
    try:
        campaign = await email_campaign(
            api, project, sink.port, {"en": {"subject": "Sealed", "text": "Hi"}}, tls="starttls"
        )
        journey = await live_journey(api, project, welcome(campaign["id"]))
        for name in ("tess", "theo"):
            user = await upsert(api, project, name, email=f"{name}@example.com")
            signed_up = {"name": "signed.up", "identifier": [{"external_id": name}]}
            await post_events(api, project, temporal_client, [signed_up])
            await run_result(temporal_client, journey["id"], user["id"])
    finally:
        sink.stop()

    assert [message["Subject"] for message in sink.to("tess@example.com") + sink.to("theo@example.com")] == [
        "Sealed",
        "Sealed",
    ]


async def test_a_campaign_is_previewed_for_a_chosen_user_as_it_would_be_sent(api, project: ProjectKeys, smtp: SmtpSink):
    group = await created(api, project, "/subscriptions", {"name": "News", "channel": "email"})
    campaign = await email_campaign(api, project, smtp.port, {
        "en": {"subject": "Hi {{ user.data.first_name }}", "text": "Total: {{ journey.order.total }}"},
        "de": {"subject": "Hallo {{ user.data.first_name }}", "text": "Abmelden: {{ unsubscribe_url }}"},
    }, group_id=group["id"])  # fmt: skip
    user = (await api.post("/api/client/users", headers=project.public, json={
        "identifier": [{"external_id": "lena"}], "locale": "de-AT", "email": "lena@example.com",
        "data": {"first_name": "Lena"},
    })).json()  # fmt: skip
    url = project.admin(f"/campaigns/{campaign['id']}/preview")

    shown = await api.post(url, json={"user_id": user["id"]}, headers=project.secret)
    assert shown.status_code == 200, shown.text
    assert shown.json()["locale"] == "de" and shown.json()["fields"]["subject"] == "Hallo Lena"
    assert f"{PUBLIC_URL}/api/unsubscribe/" in shown.json()["fields"]["text"]  # the signed link a send carries
    # Unsaved edits and a run's journey data render the same way; nothing is sent.
    edited = {"en": {"subject": "Yo", "text": "{{ journey.order.total | times: 2 }}"}}
    body = {"user_id": user["id"], "templates": edited, "journey": {"order": {"total": 21}}}
    again = await api.post(url, json=body, headers=project.secret)
    assert again.json() == {"locale": "en", "fields": {"subject": "Yo", "text": "42"}}
    assert smtp.to("lena@example.com") == []

    broken = {"de": {"subject": "{% if %}", "text": "x"}}
    refused = await api.post(url, json={"user_id": user["id"], "templates": broken}, headers=project.secret)
    assert refused.status_code == 400 and "templates.de.subject" in refused.json()["detail"]
    unknown = await api.post(url, json={"user_id": "00000000-0000-0000-0000-000000000000"}, headers=project.secret)
    assert unknown.status_code == 404

    # A test send: the campaign as Lena would get it, to the author's address only, marked, recorded nowhere.
    tested = await api.post(
        project.admin(f"/campaigns/{campaign['id']}/test"),
        json={"user_id": user["id"], "to": "author@example.com"},
        headers=project.secret,
    )
    assert tested.status_code == 200, tested.text
    assert tested.json()["ok"] is True and tested.json()["sent"] is True
    [mail] = smtp.to("author@example.com")
    assert mail["Subject"] == "[Test] Hallo Lena"
    assert smtp.to("lena@example.com") == []
    assert (await api.get(project.admin(f"/users/{user['id']}/messages"), headers=project.secret)).json() == []
