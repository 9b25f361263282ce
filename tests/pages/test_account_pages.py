"""An invitation and a password reset, followed as a person would: the emailed link opened in a real
browser, the form filled by its labels, and the result working."""

import httpx
from playwright.sync_api import expect

from tests.helpers import ADMIN_KEY, PASSWORD
from tests.pages.browser import browser
from tests.pages.test_recipient_pages import picture
from tests.processes import process_env, start_api, stop


def test_a_newcomer_joins_by_invitation_and_later_resets_their_password(database_url, temporal_env):
    env = process_env(database_url, temporal_env, "account-pages")
    api, url = start_api(env)
    try:
        admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        project = admin.post("/api/admin/projects", json={"name": "Nordlicht Books"}).json()
        owner = httpx.Client(base_url=f"{url}/api/admin/projects/{project['id']}",
                             headers={"Authorization": f"Bearer {project['secret_key']}"})  # fmt: skip
        invitation = owner.post("/members", json={"email": "jo@nordlicht.example", "role": "editor"}).json()
        token = invitation["invitation_url"].rsplit("/", 1)[1]

        with browser() as chromium:
            page = chromium.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{url}/console/invite/{token}")
            expect(page).to_have_title("Join the team · Nordlicht Books")
            expect(page.get_by_text("as editor")).to_be_visible()
            page.get_by_label("Your name").fill("Jo")
            page.get_by_label("Password").fill("short")
            page.get_by_label("Password").evaluate("e => e.removeAttribute('minlength')")  # the server checks too
            page.get_by_role("button", name="Join").click()
            expect(page.get_by_role("alert")).to_contain_text("at least 10 characters")
            picture(page, "invitation")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Join").click()
            expect(page.get_by_role("heading", name="You are in")).to_be_visible()
            me = page.request.get(f"{url}/api/auth/me").json()  # the browser is logged in
            assert me["email"] == "jo@nordlicht.example" and me["projects"][0]["role"] == "editor"

            page.goto(f"{url}/console/invite/{token}")  # a second time
            expect(page.get_by_role("alert")).to_contain_text("used already")

            account = next(a for a in admin.get("/api/admin/accounts").json() if a["email"] == "jo@nordlicht.example")
            reset = admin.post(f"/api/admin/accounts/{account['id']}/password-reset").json()
            page.goto(f"{url}/console/reset-password/{reset['reset_url'].rsplit('/', 1)[1]}")
            page.get_by_label("New password").fill("the second password")
            page.get_by_role("button", name="Set the password").click()
            expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
            assert page.request.get(f"{url}/api/auth/me").status == 401  # every session ended
        login = httpx.post(f"{url}/api/auth/login", json={"email": "jo@nordlicht.example",
                                                          "password": "the second password"})  # fmt: skip
        assert login.status_code == 200
    finally:
        stop([api])
