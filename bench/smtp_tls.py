"""CPU per email sent over STARTTLS: a TLS context built per connection (aiosmtplib's default) against
the one the worker shares (`activities.messaging.smtp_tls_context`), in the same run.

    python -m bench.smtp_tls [--emails 200]

The SMTP server runs in a child process (its CPU is not counted); its certificate comes from a throwaway
certificate authority (trustme) that both clients trust.
"""

import argparse
import asyncio
import multiprocessing
import ssl
import time
from email.message import EmailMessage

import aiosmtplib
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from activities.messaging import smtp_tls_context
from bench.journeys import free_port


def serve(port: int, certificate: trustme.LeafCert, stop: "multiprocessing.synchronize.Event") -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    controller = Controller(Sink(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True)
    controller.start()
    stop.wait()
    controller.stop()


async def send_all(port: int, emails: int, **tls: object) -> float:
    """CPU seconds per email of this process."""
    started = time.process_time()
    for i in range(emails):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "bench@example.com", f"u{i}@example.com", "Hi"
        message.set_content("Hello")
        await aiosmtplib.send(message, hostname="127.0.0.1", port=port, start_tls=True, timeout=30, **tls)  # type: ignore[arg-type]
    return (time.process_time() - started) / emails


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=200)
    args = parser.parse_args()

    authority = trustme.CA()
    port, stop = free_port(), multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, authority.issue_cert("127.0.0.1"), stop))
    server.start()
    await asyncio.sleep(2)
    try:
        with authority.cert_pem.tempfile() as bundle:
            per_connection = await send_all(port, args.emails, cert_bundle=bundle)
        authority.configure_trust(smtp_tls_context())
        shared = await send_all(port, args.emails, tls_context=smtp_tls_context())
    finally:
        stop.set()
        server.join()
    print(f"STARTTLS, {args.emails} emails each, CPU of the sending process per email:")
    print(f"  TLS context per connection   {per_connection * 1000:6.1f} ms")
    print(f"  one shared TLS context       {shared * 1000:6.1f} ms")
    print(f"ratio shared/per connection: {shared / per_connection:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
