"""Real receivers started by the tests: an SMTP server (aiosmtpd) and an HTTP server, each recording
what it was sent, and a port that never answers. Nothing is mocked: Tempogram talks to them over
sockets like to any provider."""

import asyncio
import email
import json
import random
import socket
import ssl
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A free port below the kernel's ephemeral range (32768 and up on Linux): a port the OS hands out
    on its own (to the Temporal dev server's HTTP and metrics listeners) cannot take it meanwhile."""
    while True:
        port = random.randrange(20_000, 32_000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


class SmtpSink:
    """`tls_context`: the server's certificate; the sink then requires STARTTLS before any mail."""

    def __init__(self, tls_context: ssl.SSLContext | None = None, port: int | None = None) -> None:
        self.messages: list[Message] = []
        self.port = port or free_port()
        # While set, every message is answered "try again later" (a transient failure) and counted.
        self.refusing = False
        self.refused = 0
        # Addresses answered "no such user" (a hard bounce) when named as a recipient.
        self.unknown_recipients: set[str] = set()
        # Addresses answered "mailbox busy" (transient): the sender should try again.
        self.busy_recipients: set[str] = set()
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=tls_context,
            require_starttls=tls_context is not None,
        )

    async def handle_RCPT(self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any) -> str:  # noqa: N802
        if address in self.unknown_recipients:
            return "550 5.1.1 No such user"
        if address in self.busy_recipients:
            self.refused += 1
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        if self.refusing:
            self.refused += 1
            return "451 Try again later"
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


def body_text(message: Message) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    return "\n".join(
        p.get_payload(decode=True).decode()
        for p in parts
        if p.get_content_maintype() == "text"  # type: ignore[union-attr]
    )


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class HttpSink:
    """Answers every request with `status` and a JSON body (and `cookie` as `Set-Cookie`, if given),
    after recording it."""

    status: int = 200
    answer: Any = field(default_factory=lambda: {"ok": True})
    cookie: str | None = None
    requests: list[Received] = field(default_factory=list)

    def start(self) -> None:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                sink.requests.append(Received(self.command, self.path, dict(self.headers), body))
                payload = json.dumps(sink.answer).encode()
                self.send_response(sink.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if sink.cookie:
                    self.send_header("Set-Cookie", sink.cookie)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()


@asynccontextmanager
async def black_hole() -> AsyncIterator[int]:
    """A port that accepts connections and never answers: a hung PostgreSQL or Temporal."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()
