"""Providers can be edited and tested: a test connects as a send would and reports the server's answer."""

import uuid

from core.config import Settings
from domain.messaging.links import Links
from domain.messaging.models import Provider
from domain.messaging.service import provider_credentials
from tests.helpers import CREDENTIALS_KEY, SIGNING_SECRET, ProjectKeys, created
from tests.sinks import SmtpSink


async def test_a_provider_is_tested_against_its_server_and_edited_until_it_works(
    api, project: ProjectKeys, smtp: SmtpSink, sessions
):
    # The default `starttls` against a plain local server: the test says what went wrong, at once.
    config = {"host": "127.0.0.1", "port": smtp.port, "from": "shop@example.com", "username": "shop",
              "password": "s3cret"}  # fmt: skip
    provider = await created(api, project, "/providers", {"name": "local", "kind": "smtp", "config": config})
    assert provider["config"]["tls"] == "starttls" and "password" not in provider["config"]
    test = project.admin(f"/providers/{provider['id']}/test")
    response = await api.post(test, json={}, headers=project.secret)
    assert response.status_code == 200, response.text
    failed = response.json()
    assert failed["ok"] is False and failed["sent"] is False
    assert failed["answer"].startswith("connected: 220") and "STARTTLS" in failed["answer"]

    # Edited in place: plain SMTP, no login; the password left out is kept (sealed), not erased.
    edit = {"name": "local mail", "kind": "smtp", "config": {**config, "tls": "none", "username": None}}
    del edit["config"]["password"]
    response = await api.put(project.admin(f"/providers/{provider['id']}"), json=edit, headers=project.secret)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "local mail" and response.json()["config"]["tls"] == "none"
    async with sessions() as session:
        stored = await session.get(Provider, uuid.UUID(provider["id"]))
        links = Links.from_settings(Settings(signing_secret=SIGNING_SECRET, credentials_keys=CREDENTIALS_KEY))
        assert stored is not None and provider_credentials(stored, links.cipher) == {"password": "s3cret"}

    response = await api.post(test, json={"to": "ops@example.com"}, headers=project.secret)
    passed = response.json()
    assert passed["ok"] is True and passed["sent"] is True, passed
    [mail] = smtp.to("ops@example.com")
    assert mail["Subject"] == "Tempogram test message" and mail["From"] == "shop@example.com"


async def test_a_provider_keeps_its_kind_and_a_webhook_provider_has_nothing_to_test(api, project: ProjectKeys):
    webhook = await created(api, project, "/providers", {"name": "hooks", "kind": "webhook", "config": {}})
    path = project.admin(f"/providers/{webhook['id']}")
    smtp = {"name": "x", "kind": "smtp", "config": {"host": "127.0.0.1", "from": "a@example.com"}}
    response = await api.put(path, json=smtp, headers=project.secret)
    assert response.status_code == 400 and response.json()["detail"].startswith("kind:")
    response = await api.post(f"{path}/test", json={}, headers=project.secret)
    assert response.status_code == 200 and response.json()["ok"] is False
    assert "webhook" in response.json()["answer"]
    missing = project.admin(f"/providers/{uuid.uuid4()}/test")
    assert (await api.post(missing, json={}, headers=project.secret)).status_code == 404


async def test_provider_and_campaign_settings_are_checked_all_at_once_and_unknown_keys_refused(
    api, project: ProjectKeys
):
    """The settings depend on the kind (and a campaign's templates on its channel): every problem is
    named in one answer, and a misspelt key is refused rather than dropped."""
    body = {"name": "mail", "kind": "smtp", "config": {"host": "", "port": 0, "form": "shop@example.com"}}
    response = await api.post(project.admin("/providers"), json=body, headers=project.secret)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [
        "body.config.host", "body.config.port", "body.config.from", "body.config.form",
    ]  # fmt: skip
    assert "Extra inputs are not permitted" in response.json()["errors"][-1]["message"]

    config = {"host": "127.0.0.1", "from": "shop@example.com", "fromName": "Shop"}  # camelCase is read too
    provider = await created(api, project, "/providers", {"name": "mail", "kind": "smtp", "config": config})
    assert provider["config"]["from_name"] == "Shop"
    campaign = {"name": "hi", "channel": "email", "provider_id": provider["id"],
                "templates": {"en": {"subject": "", "body": "Hi"}, "de": {"subject": "Hallo"}}}  # fmt: skip
    response = await api.post(project.admin("/campaigns"), json=campaign, headers=project.secret)
    assert response.status_code == 400
    problems = {(e["field"], e["message"]) for e in response.json()["errors"]}
    assert ("body.templates.en.subject", "String should have at least 1 character") in problems
    assert ("body.templates.en.body", "Extra inputs are not permitted") in problems
    assert ("body.templates.de", "an email needs html or text") in problems
