"""An unexpected error is a clean `500` problem response on a connection that stays open: Starlette's
last-resort handler answers and then re-raises, which made uvicorn drop the keep-alive connection, so a
client's next request on it failed too."""

import http.client
import json
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI

from api.errors import install_error_handlers
from api.middleware import GuardedRequests
from tests.sinks import free_port


@pytest.fixture
def served_app() -> Iterator[str]:
    app = FastAPI()
    app.add_middleware(GuardedRequests)
    install_error_handlers(app)

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("a bug")

    @app.get("/fine")
    async def fine() -> dict[str, bool]:
        return {"ok": True}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_a_500_is_problem_json_and_the_connection_stays_open(served_app: str):
    # http.client keeps one connection and never reconnects behind our back: a dropped connection
    # shows as a failed second request.
    connection = http.client.HTTPConnection(served_app.removeprefix("http://"), timeout=5)
    connection.request("GET", "/broken")
    broken = connection.getresponse()
    assert broken.status == 500
    assert json.loads(broken.read()) == {
        "title": "internal server error",
        "detail": "unexpected error; the server logged it",
    }
    connection.request("GET", "/fine")
    fine = connection.getresponse()
    assert (fine.status, json.loads(fine.read())) == (200, {"ok": True})
    connection.close()
