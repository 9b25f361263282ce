"""The recipient's pages in a real browser, on a phone's screen: readable, usable by role and name (as
a screen reader finds them), and working. `TEMPOGRAM_SCREENSHOTS=1` refreshes the pictures in docs/."""

import os
import uuid
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from domain.messaging.links import UnsubscribeToken, sign_unsubscribe
from tests.helpers import ADMIN_KEY
from tests.pages.browser import browser
from tests.processes import process_env, start_api, stop

PHONE = {"width": 390, "height": 844}
PICTURES = Path(__file__).parents[2] / "docs" / "images"


def picture(page: Page, name: str) -> None:
    if os.environ.get("TEMPOGRAM_SCREENSHOTS"):
        PICTURES.mkdir(exist_ok=True)
        page.screenshot(path=PICTURES / f"{name}.png", full_page=True)


def test_a_recipient_unsubscribes_and_manages_their_subscriptions_on_a_phone(database_url, temporal_env):
    env = process_env(database_url, temporal_env, "pages")
    api, url = start_api(env)
    try:
        admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        project = admin.post("/api/admin/projects", json={"name": "Nordlicht Books"}).json()
        secret = httpx.Client(base_url=f"{url}/api/admin/projects/{project['id']}",
                              headers={"Authorization": f"Bearer {project['secret_key']}"})  # fmt: skip
        wanted = (("New releases", "email"), ("Author events", "email"), ("Order texts", "sms"))
        groups = [secret.post("/subscriptions", json={"name": n, "channel": c}).json() for n, c in wanted]
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {project['public_key']}"})
        user = client.post("/api/client/users", json={"identifier": [{"external_id": "mila"}]}).json()
        ids = UnsubscribeToken(uuid.UUID(project["id"]), uuid.UUID(user["id"]), uuid.UUID(groups[0]["id"]))
        token = sign_unsubscribe(env["TEMPOGRAM_SIGNING_SECRET"], ids)

        with browser() as chromium:
            page = chromium.new_page(viewport=PHONE, device_scale_factor=2)
            page.goto(f"{url}/api/unsubscribe/{token}")
            expect(page).to_have_title("Unsubscribe · Nordlicht Books")
            expect(page.get_by_role("heading", name="Unsubscribe")).to_be_visible()
            expect(page.get_by_text("Stop receiving New releases from Nordlicht Books?")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll
            picture(page, "unsubscribe")

            page.get_by_role("button", name="Unsubscribe").click()
            expect(page.get_by_role("status")).to_have_text("Done: you will no longer receive New releases.")
            page.get_by_role("link", name="Manage all your subscriptions").click()

            expect(page.get_by_role("heading", name="Your subscriptions")).to_be_visible()
            rows = page.get_by_role("listitem")
            expect(rows).to_have_count(3)
            expect(rows.nth(0)).to_contain_text("New releasesNot subscribed")
            page.get_by_role("button", name="Unsubscribe: Author events").click()
            expect(page.get_by_role("listitem").nth(1)).to_contain_text("Author eventsNot subscribed")
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            picture(page, "preferences")
            page.get_by_role("button", name="Subscribe: New releases").click()
            expect(page.get_by_role("listitem").nth(0)).to_contain_text("New releasesSubscribed")

        states = secret.get(f"/users/{user['id']}/subscriptions").json()
        assert {s["name"]: s["state"] for s in states} == {
            "New releases": "subscribed", "Author events": "unsubscribed", "Order texts": "subscribed",
        }  # fmt: skip
    finally:
        stop([api])
