"""The console in a real browser, against the real stack: a journey author logs in, builds the order
follow-up journey by drag and drop, publishes it, and watches a customer go through it; a viewer sees
the same journey with no edit control. `TEMPOGRAM_SCREENSHOTS=1` refreshes the pictures in docs/."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.helpers import ADMIN_KEY, PASSWORD
from tests.pages.accessibility import accessibility_problems
from tests.pages.browser import browser
from tests.pages.test_recipient_pages import picture
from tests.processes import process_env, start_api, start_worker, stop, wait_for
from tests.sinks import SmtpSink, body_text

LAPTOP = {"width": 1440, "height": 900}


def log_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/console")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert accessibility_problems(page) == []
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def drop_step(page: Page, kind: str, x: int, y: int) -> None:
    """Drag a step type from the palette onto the canvas at (x, y) of the canvas."""
    page.get_by_role("button", name=f"Add a {kind} step").drag_to(
        page.get_by_test_id("canvas"), target_position={"x": x, "y": y}
    )


def connect(page: Page, source: str, outlet: str, target: str) -> None:
    """Drag from a step's outlet handle to the top handle of another step."""
    start = page.locator(f'[data-step="{source}"] .react-flow__handle-bottom[data-handleid="{outlet}"]')
    end = page.locator(f'[data-step="{target}"] .react-flow__handle-top')
    start.drag_to(end)


def select(page: Page, step: str) -> None:
    page.locator(f'[data-step="{step}"] .step-head').click()


@contextmanager
def running(env: dict[str, str]) -> Iterator[tuple[str, SmtpSink]]:
    """The API and a worker as production runs them, a mail server beside them; the API's address."""
    smtp = SmtpSink()
    smtp.start()
    worker = start_worker(env)
    api, url = start_api(env)
    try:
        yield url, smtp
    finally:
        stop([api, worker])
        smtp.stop()


def team_project(url: str, members: dict[str, str]) -> tuple[dict[str, Any], httpx.Client]:
    """A new project with a new account per email in `members`, holding its role; the project and a client
    with its secret key."""
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    project = admin.post("/api/admin/projects", json={"name": "Nordlicht Books"}).json()
    secret = httpx.Client(base_url=f"{url}/api/admin/projects/{project['id']}",
                          headers={"Authorization": f"Bearer {project['secret_key']}"})  # fmt: skip
    for email, role in members.items():
        assert admin.post("/api/admin/accounts", json={"email": email, "password": PASSWORD}).status_code == 201
        secret.post("/members", json={"email": email, "role": role})
    return project, secret


def test_an_author_builds_publishes_and_watches_the_order_follow_up_journey(
    database_url, temporal_env, temporal_ui_url
):
    env = {**process_env(database_url, temporal_env, "console"), "TEMPOGRAM_TEMPORAL_UI_URL": temporal_ui_url}
    with running(env) as (url, smtp):
        project, secret = team_project(url, {"author@shop.example": "editor", "viewer@shop.example": "viewer"})
        smtp_config = {"host": "127.0.0.1", "port": smtp.port, "tls": "none", "from": "shop@nordlicht.example"}
        provider = secret.post("/providers", json={"name": "mail", "kind": "smtp", "config": smtp_config}).json()
        thanks = {
            "subject": "Thanks, {{ user.data.first_name }}",
            "text": "Your order of {{ journey.order.total }} is on its way.",
        }
        secret.post("/campaigns", json={"name": "Thanks", "channel": "email", "provider_id": provider["id"],
                                        "templates": {"en": thanks}})  # fmt: skip
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {project['public_key']}"})

        with browser() as chromium:
            page = chromium.new_page(viewport=LAPTOP)
            log_in(page, url, "author@shop.example")
            page.get_by_role("link", name="Nordlicht Books").click()
            page.get_by_label("New journey").fill("Order follow-up")
            page.get_by_role("button", name="Create").click()
            expect(page.get_by_role("heading", name="Order follow-up")).to_be_visible()

            # The new journey starts as an entrance and an exit; the author shapes it on the canvas.
            select(page, "entry")
            page.get_by_label("Event", exact=True).fill("order.completed")
            page.get_by_label("Keep the event's data as journey.<key>").fill("order")
            drop_step(page, "gate", 500, 120)
            drop_step(page, "send", 300, 260)
            drop_step(page, "update", 300, 400)
            drop_step(page, "delay", 300, 540)
            page.get_by_role("button", name="Arrange").click()
            select(page, "gate")
            page.get_by_label("Property").fill("user.data.plan")
            page.get_by_label("Operator").select_option("=")
            page.get_by_label("Value").fill("premium")
            select(page, "send")
            page.get_by_label("Campaign").select_option(label="Thanks")
            select(page, "update")
            page.get_by_label("Data to merge into the user's (a JSON object, Liquid allowed)").fill(
                '{"last_order_total": {{ journey.order.total }}}'
            )
            select(page, "delay")
            page.get_by_label("Duration").fill("2 days")
            connect(page, "entry", "next", "gate")
            connect(page, "gate", "yes", "send")
            connect(page, "gate", "no", "done")
            connect(page, "send", "next", "update")
            connect(page, "update", "next", "delay")
            # An edge without a pointer: the step's panel says where each of its outlets leads.
            select(page, "delay")
            page.get_by_role("combobox", name="then").select_option("done")
            page.get_by_role("button", name="Arrange").click()
            page.get_by_role("button", name="Save draft").click()
            expect(page.get_by_role("status")).to_have_text("Draft saved.")
            saved = secret.get("/journeys").json()[0]
            assert {k: v.get("next", v.get("yes")) for k, v in saved["steps"].items()} == {
                "entry": "gate",
                "gate": "send",
                "send": "update",
                "update": "delay",
                "delay": "done",
                "done": None,
            }
            assert saved["steps"]["gate"]["no"] == "done"
            picture(page, "console-journey-editor")

            # Before publishing, the author tries the journey on Ana: her path, and why the gate lets her through.
            ana = {"identifier": [{"external_id": "ana"}], "email": "ana@example.com",
                   "data": {"plan": "premium", "first_name": "Ana"}}  # fmt: skip
            client.post("/api/client/users", json=ana)
            page.locator(".react-flow__pane").click(position={"x": 20, "y": 20})  # nothing selected
            page.get_by_label("Identifier of the user to try").fill("ana")
            page.get_by_label("Journey data", exact=False).fill('{"order": {"total": 149.99}}')
            page.get_by_role("button", name="Try", exact=True).click()
            trial = page.get_by_test_id("trial")
            expect(trial).to_contain_text('✓ held user.data.plan = "premium" · saw "premium"')
            expect(trial).to_contain_text("Would send the campaign Thanks (email) to ana@example.com.")
            expect(trial).to_contain_text('Updates the user\'s data with {"last_order_total": 149.99}.')
            expect(trial).to_contain_text("The run completes.")
            expect(page.locator('[data-step="send"]')).to_have_class(re.compile("on-path"))
            picture(page, "console-journey-trial")
            assert smtp.to("ana@example.com") == []  # nothing sent
            trial.get_by_role("button", name="Stop showing").click()

            page.get_by_role("button", name="Publish").click()
            expect(page.get_by_role("dialog")).to_contain_text("No one is inside this journey now")
            page.get_by_role("dialog").get_by_role("button", name="Publish").click()
            expect(page.get_by_role("status")).to_have_text("Published: new entrants get this version.")

            # A customer orders: the node counts move, the run appears, the email arrives.
            order = {"name": "order.completed", "identifier": [{"external_id": "ana"}], "data": {"total": 149.99}}
            client.post("/api/client/users/events", json=[order])
            expect(page.get_by_test_id("counts-delay")).to_contain_text("1 waiting", timeout=30_000)
            expect(page.get_by_test_id("counts-send")).to_contain_text("1 reached")
            wait_for(lambda: bool(smtp.to("ana@example.com")), timeout=30)
            assert "149.99" in body_text(smtp.to("ana@example.com")[0])
            select(page, "delay")
            temporal_link = page.get_by_role("link", name="Temporal UI", exact=True)
            expect(temporal_link).to_have_count(1)
            href = temporal_link.get_attribute("href") or ""
            query = httpx.URL(href).params["query"]
            assert f'JourneyId="{saved["id"]}"' in query and "UserId=" in query
            picture(page, "console-journey-live")
            assert accessibility_problems(page) == []
            # The link opens the run in the Temporal UI, found by its search attributes.
            ui = chromium.new_page(viewport=LAPTOP)
            ui.goto(href)
            expect(ui.get_by_text(f"journey/{saved['id']}/").first).to_be_visible(timeout=30_000)
            picture(ui, "console-temporal-ui")
            ui.close()

            # An author puts a chosen user into the journey by hand: Bo is not premium, so the gate ends it.
            client.post("/api/client/users", json={"identifier": [{"external_id": "bo"}], "data": {"plan": "basic"}})
            page.locator(".react-flow__pane").click(
                position={"x": 20, "y": 20}
            )  # nothing selected: the journey's panel
            page.get_by_label("Identifier of the user to put in").fill("bo")
            page.get_by_role("button", name="Put in").click()
            expect(page.get_by_role("status").filter(has_text="bo entered")).to_be_visible()
            expect(page.get_by_test_id("journey-counts")).to_contain_text("2 entered", timeout=15_000)
            expect(page.get_by_test_id("journey-counts")).to_contain_text("1 completed", timeout=15_000)
            # Where is Ana, and why? Her path is drawn on the graph: the gate sent her to the email.
            page.get_by_label("Identifier of the user to show").fill("ana")
            page.get_by_role("button", name="Show their path").click()
            followed = page.get_by_test_id("followed-run")
            expect(followed).to_contain_text("active at delay")
            expect(followed).to_contain_text("gate")
            expect(followed.locator("li").first).to_contain_text("→ send")
            expect(followed.locator("li").first).to_contain_text('✓ held user.data.plan = "premium" · saw "premium"')
            expect(followed.locator("li").last).to_have_text(re.compile(r"^delay [^→]*$"))  # waiting there: no next yet
            expect(page.locator('[data-step="entry"]')).to_have_class(re.compile("on-path"))
            expect(page.locator('[data-step="done"]')).to_have_class(re.compile("off-path"))
            picture(page, "console-user-path")
            expect(page.get_by_test_id("versions")).to_contain_text("v1 (new entrants get it)")
            expect(page.get_by_test_id("versions")).to_contain_text(
                "2 runs entered with it, 1 still inside", timeout=15_000
            )

            # A list built with the rule builder, from names it suggests, counted live, then published.
            page.get_by_role("link", name="Lists").click()
            page.get_by_label("New list").fill("Premium buyers")
            page.get_by_role("button", name="Create").click()
            expect(page.get_by_test_id("preview-count")).to_contain_text("1 users match now")  # anyone with an email
            property_input = page.get_by_label("Property")
            expect(
                page.locator(f"datalist#{property_input.get_attribute('list')} option[value='user.data.plan']")
            ).to_have_count(1)
            property_input.fill("user.data.plan")
            page.get_by_label("Operator").select_option("=")
            page.get_by_label("Value").fill("gold")
            expect(page.get_by_test_id("preview-count")).to_contain_text("0 users match now")
            page.get_by_label("Value").fill("premium")
            page.get_by_role("button", name="+ event").click()
            event_input = page.get_by_label("Event name")
            events = page.locator(f"datalist#{event_input.get_attribute('list')} option[value='order.completed']")
            expect(events).to_have_count(1)
            event_input.fill("order.completed")
            expect(page.get_by_test_id("preview-count")).to_contain_text("1 users match now")
            # …where the order was worth 100 or more: the event's own properties are suggested.
            page.get_by_role("button", name="+ where").click()
            where = page.locator(".rule-where")
            total = where.get_by_label("Property")
            suggested = page.locator(f"datalist#{total.get_attribute('list')} option[value='event.data.total']")
            expect(suggested).to_have_count(1)
            total.fill("event.data.total")
            where.get_by_label("Operator").select_option(">=")
            where.get_by_label("Value").fill("200")
            expect(page.get_by_test_id("preview-count")).to_contain_text("0 users match now")
            where.get_by_label("Value").fill("100")
            expect(page.get_by_test_id("preview-count")).to_contain_text("1 users match now")
            page.get_by_role("button", name="Publish").click()
            expect(page.get_by_role("status").first).to_contain_text("Published")
            expect(page.get_by_test_id("member-count")).to_have_text("1 members", timeout=30_000)
            page.get_by_label("Member to find").fill("nobody")
            page.get_by_role("button", name="Find").click()
            expect(page.get_by_test_id("member-search")).to_have_text("nobody is not a member.")
            page.get_by_label("Member to find").fill("ana")
            page.get_by_role("button", name="Find").click()
            expect(page.get_by_test_id("members")).to_have_text("ana · ana@example.com")
            picture(page, "console-list-rule")
            assert accessibility_problems(page) == []

            # Ana's page: found by email, her profile and her timeline, which grows without a reload.
            page.get_by_role("link", name="Users").click()
            csv = b"external_id,email\ncara,cara@example.com\n,no-id@example.com\n"
            page.get_by_label("CSV file").set_input_files({"name": "people.csv", "mimeType": "text/csv", "buffer": csv})
            page.get_by_role("button", name="Import").click()
            expect(page.get_by_test_id("import-result")).to_contain_text("1 created")
            expect(page.get_by_test_id("import-result")).to_contain_text("line 3:")
            page.get_by_label("Search by").select_option("email")
            page.get_by_label("Find a user by").fill("ANA@example.com")
            page.get_by_role("button", name="Search").click()
            page.get_by_role("link", name="ana").click()
            expect(page.get_by_role("heading", name="ana")).to_be_visible()
            timeline = page.get_by_test_id("timeline")
            expect(timeline).to_contain_text("order.completed")
            expect(timeline).to_contain_text("journey.entered")
            expect(page.get_by_test_id("user-journeys")).to_contain_text("Order follow-up · active at delay · v1")
            client.post(
                "/api/client/users/events", json=[{"name": "review.written", "identifier": [{"external_id": "ana"}]}]
            )
            expect(timeline).to_contain_text("review.written", timeout=15_000)
            picture(page, "console-user")
            assert accessibility_problems(page) == []
            page.get_by_role("link", name="Settings").click()
            expect(page.get_by_role("heading", name="Members")).to_be_visible()
            assert accessibility_problems(page) == []
            [made] = secret.get("/lists").json()
            assert made["rule"] == {"all": [
                {"property": "user.data.plan", "op": "=", "value": "premium"},
                {"event": "order.completed", "count": {"op": ">=", "value": 1},
                 "where": {"property": "event.data.total", "op": ">=", "value": 100}},
            ]}  # fmt: skip

            # The events the project has sent, with their properties, and the instance's health.
            page.get_by_role("link", name="Events").click()
            expect(page.get_by_role("cell", name="order.completed")).to_be_visible()
            expect(page.get_by_text("total number")).to_be_visible()
            expect(page.get_by_test_id("health")).to_contain_text("Database: ok · Temporal: ok")
            clock = page.get_by_role("link", name="The system clock in the Temporal UI")
            assert "SystemClock" in httpx.URL(clock.get_attribute("href") or "").params["query"]
            assert accessibility_problems(page) == []

            # Organizations, and one's members.
            client.post("/api/client/organizations", json={"identifier": [{"external_id": "acme"}], "name": "Acme"})
            member = {"organization_external_id": "acme", "user_external_id": "ana", "data": {"role": "buyer"}}
            client.post("/api/client/organizations/users", json=member)
            page.get_by_role("link", name="Organizations").click()
            page.get_by_role("button", name="Acme").click()
            expect(page.get_by_role("heading", name="Members")).to_be_visible()
            expect(page.get_by_text('{"role":"buyer"}')).to_be_visible()
            assert accessibility_problems(page) == []

            # The campaign's templates beside the message as Liquid renders it for Ana, following each edit.
            page.get_by_role("link", name="Campaigns").click()
            page.get_by_role("link", name="Thanks").click()
            page.get_by_label("For the user").fill("ana")
            page.get_by_role("button", name="Show").click()
            preview = page.get_by_test_id("campaign-preview")
            expect(preview).to_contain_text("subject: Thanks, Ana")
            page.get_by_label("subject").fill("Merci, {{ user.data.first_name | upcase }}")
            expect(preview).to_contain_text("subject: Merci, ANA")
            page.get_by_label("Journey data, as a run would give it (JSON, optional)").fill(
                '{"order": {"total": 149.99}}'
            )
            expect(preview).to_contain_text("Your order of 149.99 is on its way.")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("status")).to_contain_text("Saved")
            # A test send of what the preview shows, to the author only.
            page.get_by_label("Send a test to").fill("author@shop.example")
            page.get_by_role("button", name="Send test").click()
            expect(page.get_by_role("status").filter(has_text="Sent:")).to_be_visible(timeout=30_000)
            wait_for(lambda: bool(smtp.to("author@shop.example")), timeout=30)
            assert smtp.to("author@shop.example")[0]["Subject"] == "[Test] Merci, ANA"
            # Its engagement over time: the system clock folds the sends in each minute.
            expect(page.get_by_role("img", name=re.compile(r"^Engagement: sent 1,"))).to_be_visible(timeout=90_000)
            assert accessibility_problems(page) == []
            picture(page, "console-campaign")

            # A broadcast of the campaign to the list, its audience shown first, its progress as it goes out.
            page.get_by_role("link", name="Broadcasts").click()
            page.get_by_label("Name", exact=True).fill("Spring news")
            page.get_by_label("Campaign").select_option(label="Thanks")
            page.get_by_label("To the list").select_option(label="Premium buyers")
            expect(page.get_by_test_id("audience")).to_have_text("1 members now")
            page.get_by_role("button", name="Send").click()
            expect(page.get_by_test_id("broadcast-Spring news")).to_contain_text("1 of 1 · 1 sent", timeout=30_000)
            wait_for(lambda: len(smtp.to("ana@example.com")) == 2, timeout=30)
            assert accessibility_problems(page) == []

            # The list's size over time, counted each hour (the first count within a minute of its creation).
            page.get_by_role("link", name="Lists").click()
            page.get_by_role("link", name="Premium buyers").click()
            expect(page.get_by_role("img", name="Size over time: members 1 now")).to_be_visible(timeout=90_000)

            # A viewer sees the journey and its counts, and no control that changes it.
            viewer = chromium.new_page(viewport=LAPTOP)
            log_in(viewer, url, "viewer@shop.example")
            viewer.get_by_role("link", name="Nordlicht Books").click()
            viewer.get_by_role("link", name="Order follow-up").click()
            expect(viewer.get_by_test_id("counts-delay")).to_contain_text("1 waiting", timeout=30_000)
            for control in ("Publish", "Save draft", "Undo", "Arrange", "Create"):
                expect(viewer.get_by_role("button", name=control)).to_have_count(0)
            expect(viewer.get_by_role("complementary", name="Steps")).to_have_count(0)
            select(viewer, "gate")
            expect(viewer.get_by_label("Property")).to_be_disabled()
            # … and the server refuses the change anyway.
            refused = viewer.request.put(f"{url}/api/admin/projects/{project['id']}/journeys/{saved['id']}",
                                         data={"name": "x", "steps": saved["steps"]},
                                         headers={"Origin": url})  # fmt: skip
            assert refused.status == 403

            # Back to the author: Ana waits 2 days at the delay; the author ends that wait for everyone there,
            # through Temporal, after being told how many it concerns.
            page.get_by_role("link", name="Journeys").click()
            page.get_by_role("link", name="Order follow-up").click()
            expect(page.get_by_test_id("counts-delay")).to_contain_text("1 waiting", timeout=15_000)
            select(page, "delay")
            page.get_by_role("button", name="Skip the wait of 1").click()
            expect(page.get_by_role("dialog")).to_contain_text("End the wait of 1 users now?")
            page.get_by_role("button", name="Skip their wait").click()
            expect(page.get_by_role("status").filter(has_text="go on now")).to_have_text("1 runs go on now.")
            expect(page.get_by_test_id("journey-counts")).to_contain_text("2 completed", timeout=30_000)


def test_an_admin_adds_an_email_provider_and_tests_it_from_the_console(database_url, temporal_env):
    with running(process_env(database_url, temporal_env, "console-messaging")) as (url, smtp):
        project, _ = team_project(url, {"ops@shop.example": "admin"})

        with browser() as chromium:
            page = chromium.new_page(viewport=LAPTOP)
            log_in(page, url, "ops@shop.example")
            page.get_by_role("link", name="Nordlicht Books").click()
            page.get_by_role("link", name="Messaging").click()
            page.get_by_label("Name", exact=True).fill("Local mail")
            page.get_by_label("Host").fill("127.0.0.1")
            page.get_by_label("Port").fill(str(smtp.port))
            page.get_by_label("TLS").select_option("none")
            page.get_by_label("Password (sealed, never shown again)").fill("hunter2-secret")
            page.get_by_label("From address").fill("shop@nordlicht.example")
            page.get_by_role("button", name="Add the provider").click()
            expect(page.get_by_text("127.0.0.1:" + str(smtp.port))).to_be_visible()
            expect(page.get_by_role("heading", name="Suppressions")).to_be_visible()
            expect(page.get_by_text("No address is suppressed.")).to_be_visible()
            assert "hunter2-secret" not in page.content()

            page.get_by_label("Send a test to").fill("ops@shop.example")
            page.get_by_role("button", name="Test Local mail").click()
            expect(page.get_by_role("status")).to_contain_text("Works: connected: 220", timeout=30_000)
            wait_for(lambda: bool(smtp.to("ops@shop.example")), timeout=30)
            picture(page, "console-messaging")
            assert accessibility_problems(page) == []

            # The project's messaging settings: users start unsubscribed until they opt in.
            page.get_by_role("link", name="Settings").click()
            page.get_by_label("Subscription groups").select_option("opt_in")
            page.get_by_role("button", name="Save settings").click()
            expect(page.get_by_role("status").filter(has_text="Settings saved.")).to_be_visible()
            saved = httpx.get(f"{url}/api/admin/projects/{project['id']}",
                              headers={"Authorization": f"Bearer {project['secret_key']}"})  # fmt: skip
            assert saved.json()["subscription_default"] == "opt_in"
            assert accessibility_problems(page) == []
