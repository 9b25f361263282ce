"""ASGI middleware that keeps every answer a clean problem response: bodies over their limit are refused
with `413` before they are read whole, and an unexpected error is a `500` on a connection that stays open."""

import logging

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem

log = logging.getLogger(__name__)

# JSON bodies (a batch of events, a journey); CSV uploads (multipart) may be larger (docs/limits.md).
MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


class BodyTooLarge(HTTPException):
    """An HTTP error, so that FastAPI's body parsing passes it on as it is (it turns others into `400`)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_detail(limit))
        self.limit = limit


def too_large_detail(limit: int) -> str:
    return f"the request body is larger than the {limit // (1024 * 1024)} MiB limit"


def body_limit(headers: dict[bytes, bytes]) -> int:
    multipart = headers.get(b"content-type", b"").startswith(b"multipart/")
    return MAX_UPLOAD_BYTES if multipart else MAX_BODY_BYTES


def too_large(limit: int) -> ASGIApp:
    return problem(413, too_large_detail(limit))


class GuardedRequests:
    """Bounds request bodies and turns an unexpected exception into a `500` response. Starlette's own
    last-resort handler re-raises after answering, which makes the server drop the keep-alive
    connection, so the client's next request would fail too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", ""):
            # PostgreSQL's text cannot hold NUL: refuse it here, whichever parameter carries it.
            await problem(400, "url: must not contain the NUL character (%00)")(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = body_limit(headers)
        declared = headers.get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > limit:
            await too_large(limit)(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge as error:
            if started:
                raise
            await too_large(error.limit)(scope, receive, send)
        except Exception:
            if started:
                raise
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            await problem(500, "unexpected error; the server logged it")(scope, receive, send)
