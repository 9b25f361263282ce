"""The API's documentation: complete, accurate about keys and field names, and usable offline."""

from urllib.parse import urlsplit

from api.main import create_app
from core.config import Settings
from tests.pages.browser import browser
from tests.processes import process_env, start_api, stop


def openapi() -> dict:
    return create_app(Settings(development=True), run_migrations=False).openapi()


def test_every_operation_is_described_and_takes_the_bearer_key():
    schema = openapi()
    operations = [(method, path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert [f"{method.upper()} {path}" for method, path, op in operations if not op.get("description")] == []
    scheme = schema["components"]["securitySchemes"]["HTTPBearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer") and "sk_" in scheme["description"]
    keyed = [path for method, path, op in operations if {"HTTPBearer": []} in op.get("security", [])]
    assert "/api/client/users" in keyed and "/api/admin/projects/{project_id}/lists" in keyed
    # The management API also takes a team member's session cookie; the client API does not.
    cookie = [path for method, path, op in operations if {"APIKeyCookie": []} in op.get("security", [])]
    assert "/api/admin/projects/{project_id}/lists" in cookie and "/api/client/users" not in cookie
    assert not any(path.startswith(("/api/unsubscribe", "/api/track", "/healthz")) for path in keyed)


def test_request_fields_are_documented_in_snake_case_and_read_in_either():
    components = openapi()["components"]["schemas"]
    assert "external_id" in components["IdentifierIn"]["properties"]
    assert "externalId" not in components["IdentifierIn"]["properties"]


def test_the_docs_page_renders_offline_from_this_server_alone(database_url, temporal_env):
    api, url = start_api(process_env(database_url, temporal_env, "docs"))
    try:
        requested: list[str] = []
        with browser() as chromium:
            page = chromium.new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{url}/docs")
            page.wait_for_selector(".opblock", timeout=30_000)  # operations rendered from /openapi.json
            assert page.locator("button.authorize").count() == 1
            assert page.locator(".opblock").count() >= 80
        elsewhere = [a for a in requested if urlsplit(a).netloc != urlsplit(url).netloc]
        assert [a for a in elsewhere if not a.startswith(("data:", "blob:"))] == []
    finally:
        stop([api])
