"""Team accounts on the real stack: accounts, sessions, CSRF, login back-off, invitations, resets, tokens."""

import asyncio
import os
import subprocess
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import text

from core.config import Settings
from core.db import SessionFactory
from tests.helpers import ADMIN, BIN, PASSWORD, People, ProjectKeys, email_campaign, make_account, until
from tests.sinks import SmtpSink, body_text


async def test_an_account_logs_in_sees_its_projects_and_logs_out(api: httpx.AsyncClient, people: People, project):
    created = await api.post("/api/admin/accounts", headers=ADMIN, json={
        "email": "Ada@Team.example", "password": PASSWORD, "name": "Ada",
    })  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "ada@team.example"
    assert PASSWORD not in created.text and "password" not in created.json()
    await api.post(project.admin("/members"), json={"email": "ada@team.example", "role": "editor"},
                   headers=project.secret)  # fmt: skip

    browser = people.browser()
    assert (await browser.get("/api/auth/me")).status_code == 401
    wrong = await browser.post("/api/auth/login", json={"email": "ada@team.example", "password": "not it at all"})
    unknown = await browser.post("/api/auth/login", json={"email": "nobody@team.example", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"title": "unauthorized", "detail": "wrong email or password"}

    login = await browser.post("/api/auth/login", json={"email": "ADA@team.example", "password": PASSWORD})
    assert login.status_code == 200, login.text
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # plain HTTP here; Secure behind HTTPS
    me = (await browser.get("/api/auth/me")).json()
    assert me["email"] == "ada@team.example" and me["name"] == "Ada" and not me["instance_admin"]
    assert me["projects"] == [{"id": project.id, "name": "test", "role": "editor"}]
    assert (await browser.get(project.admin("/lists"))).status_code == 200

    assert (await browser.post("/api/auth/logout")).status_code == 204
    assert (await browser.get("/api/auth/me")).status_code == 401
    assert (await browser.get(project.admin("/lists"))).status_code == 401


async def test_behind_https_the_session_cookie_is_secure(api: httpx.AsyncClient):
    account = await make_account(api)
    secure = httpx.AsyncClient(transport=api._transport, base_url="https://tempogram.test",
                               headers={"Origin": "https://tempogram.test"})  # fmt: skip
    async with secure:
        login = await secure.post("/api/auth/login", json={"email": account["email"], "password": PASSWORD})
    assert login.status_code == 200
    assert "secure" in login.headers["set-cookie"].lower()


async def test_the_first_account_comes_from_the_command_line(settings: Settings, people: People):
    email = f"{uuid.uuid4().hex[:8]}@cli.example"
    env = {**os.environ, "TEMPOGRAM_DATABASE_URL": settings.database_url}
    made = await asyncio.to_thread(
        subprocess.run,
        [str(BIN / "tempogram"), "accounts", "create", "--email", email, "--name", "Root", "--instance-admin"],
        input=f"{PASSWORD}\n", capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert PASSWORD not in made.stdout + made.stderr
    root = await people.logged_in(email)
    assert (await root.get("/api/auth/me")).json()["instance_admin"] is True
    again = await asyncio.to_thread(
        subprocess.run,
        [str(BIN / "tempogram"), "accounts", "create", "--email", email], input="another long password\n",
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert again.returncode == 1 and "exists" in again.stderr


async def test_instance_admins_create_projects_they_then_own(api: httpx.AsyncClient, people: People):
    admin = await make_account(api, instance_admin=True)
    browser = await people.logged_in(admin["email"])
    created = await browser.post("/api/admin/projects", json={"name": "shop"})
    assert created.status_code == 201, created.text
    project_id = created.json()["id"]
    me = (await browser.get("/api/auth/me")).json()
    assert {"id": project_id, "name": "shop", "role": "owner"} in me["projects"]

    member = await make_account(api)
    plain = await people.logged_in(member["email"])
    refused = await plain.post("/api/admin/projects", json={"name": "mine"})
    assert refused.status_code == 403 and "instance admin" in refused.json()["detail"]
    assert (await plain.get("/api/admin/projects")).json() == []  # a member sees only their projects
    assert (await plain.get(f"/api/admin/projects/{project_id}")).status_code == 403


async def test_changes_made_with_a_cookie_must_come_from_this_server(people: People, project: ProjectKeys):
    account, _ = await people.member(project, "editor")
    body = {"name": "vip", "kind": "static"}
    for origin, expected in ((None, 403), ("http://evil.example", 403), ("http://tempogram.test:8080", 403),
                             ("http://tempogram.test", 201), ("http://localhost:8000", 201)):  # fmt: skip
        browser = await people.logged_in(account["email"])
        browser.headers.pop("Origin")
        response = await browser.post(project.admin("/lists"), json=body, headers={"Origin": origin} if origin else {})
        assert response.status_code == expected, (origin, response.text)
        if expected == 403:
            assert "cross-site" in response.json()["detail"]
        # Reads are not changes: they need no Origin.
        assert (await browser.get(project.admin("/lists"))).status_code == 200
    # Without Origin, a same-site Referer will do.
    browser = people.browser(None)
    await browser.post("/api/auth/login", json={"email": account["email"], "password": PASSWORD})
    referred = await browser.post(
        project.admin("/lists"), json=body, headers={"Referer": "http://tempogram.test/console"}
    )
    assert referred.status_code == 201
    # A login from a foreign page is refused too (login CSRF).
    foreign = people.browser("http://evil.example")
    login = await foreign.post("/api/auth/login", json={"email": account["email"], "password": PASSWORD})
    assert login.status_code == 403


async def test_no_foreign_origin_is_granted_credentials(api: httpx.AsyncClient, people: People, project):
    preflight = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"}  # fmt: skip
    for path in ("/api/auth/me", "/api/auth/login", project.admin("/lists"), "/api/client/users"):
        answer = await api.options(path, headers=preflight)
        assert "access-control-allow-credentials" not in answer.headers, path
    # The client API keeps answering any origin, without credentials, as Lunogram's does.
    answer = await api.options("/api/client/users", headers=preflight)
    assert answer.headers["access-control-allow-origin"] == "*"
    account, browser = await people.member(project, "viewer")
    browser.headers["Origin"] = "http://evil.example"
    read = await browser.get("/api/auth/me")
    assert read.headers.get("access-control-allow-origin") == "*"
    assert "access-control-allow-credentials" not in read.headers


async def test_ten_failed_logins_lock_the_address_for_fifteen_minutes(
    api: httpx.AsyncClient, people: People, sessions: SessionFactory
):
    account = await make_account(api)
    browser = people.browser()
    for _ in range(10):
        failed = await browser.post("/api/auth/login", json={"email": account["email"], "password": "wrong wrong"})
        assert failed.status_code == 401
    locked = await browser.post("/api/auth/login", json={"email": account["email"], "password": PASSWORD})
    assert locked.status_code == 429, locked.text
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    # An unknown address locks the same way: the answer tells nothing about who has an account.
    for _ in range(10):
        await browser.post("/api/auth/login", json={"email": "ghost@team.example", "password": "wrong wrong"})
    ghost = await browser.post("/api/auth/login", json={"email": "ghost@team.example", "password": "wrong wrong"})
    assert ghost.status_code == 429
    # Once the window has passed (moved back here rather than waited for), the right password works.
    async with sessions() as session:
        await session.execute(text("UPDATE login_failures SET at = at - interval '16 minutes' WHERE email = :e"),
                              {"e": account["email"]})  # fmt: skip
        await session.commit()
    assert (
        await browser.post("/api/auth/login", json={"email": account["email"], "password": PASSWORD})
    ).status_code == 200


async def test_sessions_end_when_idle_at_their_expiry_or_revoked(
    people: People, project: ProjectKeys, sessions: SessionFactory, settings: Settings
):
    account, browser = await people.member(project, "editor")
    idle = timedelta(hours=settings.session_idle_hours + 1)
    async with sessions() as session:
        await session.execute(text("UPDATE account_sessions SET last_seen_at = last_seen_at - :idle "
                                   "WHERE account_id = :a"), {"idle": idle, "a": account["id"]})  # fmt: skip
        await session.commit()
    assert (await browser.get("/api/auth/me")).status_code == 401

    browser = await people.logged_in(account["email"])
    async with sessions() as session:
        await session.execute(text("UPDATE account_sessions SET expires_at = now() WHERE account_id = :a"),
                              {"a": account["id"]})  # fmt: skip
        await session.commit()
    assert (await browser.get("/api/auth/me")).status_code == 401

    # A project admin logs a member out everywhere; an editor may not.
    first, second = await people.logged_in(account["email"]), await people.logged_in(account["email"])
    _, editor = await people.member(project, "editor")
    assert (await editor.delete(project.admin(f"/members/{account['id']}/sessions"))).status_code == 403
    _, admin = await people.member(project, "admin")
    ended = await admin.delete(project.admin(f"/members/{account['id']}/sessions"))
    assert ended.status_code == 200 and ended.json()["revoked"] >= 2
    assert (await first.get("/api/auth/me")).status_code == 401
    assert (await second.get("/api/auth/me")).status_code == 401


async def test_an_invitation_is_emailed_works_once_and_cannot_be_altered(
    api: httpx.AsyncClient, people: People, project: ProjectKeys, smtp: SmtpSink, sessions: SessionFactory
):
    await email_campaign(api, project, smtp.port, {"en": {"subject": "Hi", "text": "Hi"}})
    owner, browser = await people.member(project, "owner")
    invited = await browser.post(project.admin("/members"), json={"email": "new@team.example", "role": "editor"})
    assert invited.status_code == 201, invited.text
    invitation = invited.json()
    assert invitation["invited"] is True and invitation["emailed"] is True
    url = invitation["invitation_url"]
    assert url.startswith("http://localhost:8000/console/invite/")
    token = url.rsplit("/", 1)[1]

    await until(_count(smtp, "new@team.example"), equals=1)
    [mail] = smtp.to("new@team.example")
    assert url in body_text(mail) and owner["email"] in body_text(mail)

    shown = await api.get(f"/api/auth/invitations/{token}")
    assert shown.status_code == 200 and shown.json()["role"] == "editor" and shown.json()["project_name"] == "test"
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert (await api.get(f"/api/auth/invitations/{tampered}")).status_code == 404
    assert (await api.get("/api/auth/invitations/not-a-link")).status_code == 404

    newcomer = people.browser()
    short = await newcomer.post(f"/api/auth/invitations/{token}", json={"name": "Nia", "password": "short"})
    assert short.status_code == 400 and "password" in short.json()["detail"]
    accepted = await newcomer.post(f"/api/auth/invitations/{token}", json={"name": "Nia", "password": PASSWORD})
    assert accepted.status_code == 200, accepted.text
    assert {"id": project.id, "name": "test", "role": "editor"} in accepted.json()["projects"]
    assert (await newcomer.get(project.admin("/lists"))).status_code == 200  # logged in by accepting

    again = await people.browser().post(f"/api/auth/invitations/{token}", json={"password": PASSWORD})
    assert again.status_code == 410 and "used" in again.json()["detail"]

    late = (await browser.post(project.admin("/members"), json={"email": "late@team.example", "role": "viewer"})).json()
    async with sessions() as session:
        await session.execute(text("UPDATE account_links SET expires_at = now() WHERE email = 'late@team.example'"))
        await session.commit()
    late_token = late["invitation_url"].rsplit("/", 1)[1]
    expired = await people.browser().post(f"/api/auth/invitations/{late_token}", json={"password": PASSWORD})
    assert expired.status_code == 410 and "expired" in expired.json()["detail"]


def _count(smtp: SmtpSink, address: str):
    async def read() -> int:
        return len(smtp.to(address))

    return read


async def test_a_password_reset_works_once_and_ends_every_session(
    api: httpx.AsyncClient, people: People, project: ProjectKeys, smtp: SmtpSink, sessions: SessionFactory
):
    account, old_session = await people.member(project, "viewer")
    made = await api.post(f"/api/admin/accounts/{account['id']}/password-reset", headers=ADMIN)
    assert made.status_code == 201, made.text
    token = made.json()["reset_url"].rsplit("/", 1)[1]
    assert "/console/reset-password/" in made.json()["reset_url"]

    assert (await api.post(f"/api/auth/password-reset/{token}", json={"password": "short"})).status_code == 400
    reset = await api.post(f"/api/auth/password-reset/{token}", json={"password": "a brand new password"})
    assert reset.status_code == 200, reset.text
    assert (await old_session.get("/api/auth/me")).status_code == 401
    assert (await people.browser().post("/api/auth/login", json={"email": account["email"], "password": PASSWORD})
            ).status_code == 401  # fmt: skip
    await people.logged_in(account["email"], "a brand new password")
    twice = await api.post(f"/api/auth/password-reset/{token}", json={"password": "yet another password"})
    assert twice.status_code == 410
    # A link past its hour no longer works.
    later = (await api.post(f"/api/admin/accounts/{account['id']}/password-reset", headers=ADMIN)).json()
    async with sessions() as session:
        await session.execute(text("UPDATE account_links SET expires_at = now() WHERE id = :id"),
                              {"id": later["reset_url"].rsplit("/", 1)[1].split(".")[0]})  # fmt: skip
        await session.commit()
    expired = await api.post(
        f"/api/auth/password-reset/{later['reset_url'].rsplit('/', 1)[1]}", json={"password": PASSWORD}
    )
    assert expired.status_code == 410 and "expired" in expired.json()["detail"]
    # A link altered by one character is refused.
    assert (await api.post(f"/api/auth/password-reset/{token[:-1]}x", json={"password": PASSWORD})).status_code == 404

    # Forgot password: the answer is the same for any address; the link goes by email when it can.
    await email_campaign(api, project, smtp.port, {"en": {"subject": "Hi", "text": "Hi"}})
    for email in (account["email"], "nobody@team.example"):
        asked = await api.post("/api/auth/password-reset", json={"email": email})
        assert asked.status_code == 202
    await until(_count(smtp, account["email"]), equals=1)
    [mail] = smtp.to(account["email"])
    assert "/console/reset-password/" in body_text(mail)
    # Asking again at once sends nothing more (someone who knows an address cannot flood it).
    assert (await api.post("/api/auth/password-reset", json={"email": account["email"]})).status_code == 202
    async with sessions() as session:
        asked = await session.scalar(
            text("SELECT count(*) FROM account_links WHERE account_id = :a AND created_by LIKE '%forgot password%'"),
            {"a": account["id"]},
        )
    assert asked == 1


async def test_personal_tokens_act_with_their_owners_role(api: httpx.AsyncClient, people: People, project):
    account, browser = await people.member(project, "viewer")
    made = await browser.post("/api/auth/tokens", json={"name": "terraform"})
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    assert token.startswith("tg_") and made.json()["prefix"] == token[:10]
    listed = (await browser.get("/api/auth/tokens")).json()
    assert [t["name"] for t in listed] == ["terraform"] and token not in str(listed)

    script = {"Authorization": f"Bearer {token}"}
    assert (await api.get(project.admin("/lists"), headers=script)).status_code == 200
    refused = await api.post(project.admin("/lists"), json={"name": "x", "kind": "static"}, headers=script)
    assert refused.status_code == 403 and "editor" in refused.json()["detail"]
    assert (await api.get("/api/auth/me", headers=script)).json()["email"] == account["email"]

    assert (await browser.delete(f"/api/auth/tokens/{made.json()['id']}")).status_code == 204
    assert (await api.get(project.admin("/lists"), headers=script)).status_code == 401


async def test_accounts_need_a_strong_password_and_a_unique_address(api: httpx.AsyncClient):
    weak = await api.post("/api/admin/accounts", headers=ADMIN, json={"email": "w@team.example", "password": "short"})
    assert weak.status_code == 400 and "password" in weak.json()["detail"]
    bad = await api.post("/api/admin/accounts", headers=ADMIN, json={"email": "not-an-address", "password": PASSWORD})
    assert bad.status_code == 400 and "email" in bad.json()["detail"]
    account = await make_account(api)
    twice = await api.post("/api/admin/accounts", headers=ADMIN,
                           json={"email": account["email"].upper(), "password": PASSWORD})  # fmt: skip
    assert twice.status_code == 409
    no_key = await api.post("/api/admin/accounts", json={"email": "x@team.example", "password": PASSWORD})
    assert no_key.status_code == 401


async def test_a_project_keeps_an_owner(api: httpx.AsyncClient, people: People, project: ProjectKeys):
    owner, browser = await people.member(project, "owner")
    demoted = await browser.patch(project.admin(f"/members/{owner['id']}"), json={"role": "viewer"})
    assert demoted.status_code == 409 and "owner" in demoted.json()["detail"]
    assert (await browser.delete(project.admin(f"/members/{owner['id']}"))).status_code == 409
    other, _ = await people.member(project, "viewer")
    assert (await browser.patch(project.admin(f"/members/{other['id']}"), json={"role": "owner"})).status_code == 200
    assert (await browser.patch(project.admin(f"/members/{owner['id']}"), json={"role": "viewer"})).status_code == 200
    twice = await api.post(project.admin("/members"), json={"email": other["email"], "role": "editor"},
                           headers=project.secret)  # fmt: skip
    assert twice.status_code == 409
