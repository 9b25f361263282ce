"""Secrets: links cannot be forged with a known secret, provider credentials are sealed at rest, and the
production processes refuse to start without their secrets."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from core.config import DEVELOPMENT_SECRET, Settings
from core.credentials import CredentialCipher, new_key
from core.db import SessionFactory
from domain.messaging.links import Links
from tests.helpers import ProjectKeys, created, live_journey, post_events, run_result, upsert, welcome
from tests.sinks import HttpSink

BIN = Path(sys.executable).parent


async def test_a_link_signed_with_the_development_secret_is_refused(api):
    forged = Links("http://tempogram.test", DEVELOPMENT_SECRET, CredentialCipher([new_key()]))
    url = forged.click("0" * 32, "https://attacker.example/")
    response = await api.get(url.removeprefix("http://tempogram.test"))
    assert response.status_code == 400 and "location" not in response.headers


async def test_provider_credentials_are_sealed_at_rest_and_still_sent(
    api, project: ProjectKeys, temporal_client, http_sink: HttpSink, sessions: SessionFactory
):
    token = "Bearer hook-s3cret-token"
    provider = await created(
        api,
        project,
        "/providers",
        {"name": "hooks", "kind": "webhook", "config": {"headers": {"Authorization": token}}},
    )
    campaign = await created(api, project, "/campaigns", {
        "name": "ping", "channel": "webhook", "provider_id": provider["id"],
        "templates": {"en": {"url": f"{http_sink.url}/ping", "body": {"user": "{{ user.external_id }}"}}},
    })  # fmt: skip
    journey = await live_journey(api, project, welcome(campaign["id"]))
    user = await upsert(api, project, "ann")
    await post_events(api, project, temporal_client, [{"name": "signed.up", "identifier": [{"external_id": "ann"}]}])
    await run_result(temporal_client, journey["id"], user["id"])

    [call] = [request for request in http_sink.requests if request.path == "/ping"]
    assert call.headers["Authorization"] == token
    async with sessions() as session:
        row = (await session.execute(text("SELECT * FROM providers WHERE id = :id"), {"id": provider["id"]})).one()
    assert "hook-s3cret" not in repr(row)
    listed = await api.get(project.admin("/providers"), headers=project.secret)
    assert "hook-s3cret" not in listed.text


def run_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [str(BIN / "tempogram"), *args], env={**base, **env}, capture_output=True, text=True, timeout=60
    )


def test_api_and_worker_refuse_to_start_without_their_secrets():
    for command in (["worker"], ["api", "--port", "0"]):
        finished = run_command(*command, env={})
        assert finished.returncode != 0
        output = finished.stdout + finished.stderr
        assert "TEMPOGRAM_SIGNING_SECRET" in output and "TEMPOGRAM_CREDENTIALS_KEYS" in output, output
    finished = run_command(
        "worker", env={"TEMPOGRAM_SIGNING_SECRET": DEVELOPMENT_SECRET, "TEMPOGRAM_CREDENTIALS_KEYS": new_key()}
    )
    assert finished.returncode != 0 and "TEMPOGRAM_SIGNING_SECRET" in finished.stderr


def reseal(settings: Settings, keys: str) -> None:
    """`tempogram credentials reseal` with these keys, against the tests' database."""
    env = {"TEMPOGRAM_DATABASE_URL": settings.database_url, "TEMPOGRAM_SIGNING_SECRET": "s",
           "TEMPOGRAM_CREDENTIALS_KEYS": keys}  # fmt: skip
    finished = run_command("credentials", "reseal", env=env)
    assert finished.returncode == 0, finished.stderr


async def test_credentials_keys_rotate(api, project: ProjectKeys, settings: Settings, sessions: SessionFactory):
    config = {"url": "https://sms.example/send", "from": "+15550000000", "auth_token": "tw-s3cret"}
    provider = await created(api, project, "/providers", {"name": "sms", "kind": "sms", "config": config})
    new = new_key()
    reseal(settings, f"{new},{settings.credentials_keys}")
    async with sessions() as session:
        sealed = await session.scalar(
            text("SELECT sealed_credentials FROM providers WHERE id = :id"), {"id": provider["id"]}
        )
    assert CredentialCipher([new]).open(sealed)["auth_token"] == "tw-s3cret"


async def test_a_send_whose_credentials_cannot_be_opened_fails_with_the_reason(
    api, project: ProjectKeys, settings: Settings, temporal_client, http_sink: HttpSink
):
    config = {"headers": {"Authorization": "Bearer x"}}
    provider = await created(api, project, "/providers", {"name": "hooks", "kind": "webhook", "config": config})
    campaign = await created(api, project, "/campaigns", {
        "name": "ping", "channel": "webhook", "provider_id": provider["id"],
        "templates": {"en": {"url": f"{http_sink.url}/never"}},
    })  # fmt: skip
    journey = await live_journey(api, project, welcome(campaign["id"]))
    # Sealed again with a key this deployment does not have (a rotation half done).
    reseal(settings, f"{new_key()},{settings.credentials_keys}")
    user = await upsert(api, project, "kim")
    await post_events(api, project, temporal_client, [{"name": "signed.up", "identifier": [{"external_id": "kim"}]}])
    await run_result(temporal_client, journey["id"], user["id"])
    sends = (await api.get(project.admin(f"/users/{user['id']}/messages"), headers=project.secret)).json()
    assert [(m["status"], m["reason"]) for m in sends] == [
        ("failed", "the provider's credentials are sealed with a key that is not configured")
    ]
    assert not [r for r in http_sink.requests if r.path == "/never"]
