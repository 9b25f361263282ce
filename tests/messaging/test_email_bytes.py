"""What a mail client reads from the bytes Tempogram hands to an SMTP server."""

import email
import re
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.utils import parsedate_to_datetime

from domain.messaging.mime import email_bytes

SENT_AT = datetime(2026, 12, 3, 14, 5, 9, tzinfo=timezone(timedelta(hours=1)))
# RFC 5322 §3.6.4: msg-id = "<" id-left "@" id-right ">", here dot-atoms on both sides.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
MSG_ID = re.compile(rf"^<{_ATOM}(\.{_ATOM})*@{_ATOM}(\.{_ATOM})*>$")


def _read(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def _content(part: email.message.EmailMessage | None) -> str:
    assert part is not None
    return part.get_content().replace("\r\n", "\n").rstrip("\n")


def test_accented_names_subjects_and_bodies_arrive_as_written_in_7_bit_lines():
    text = "Bonjour Zoé,\nvotre commande de 129,50 € est arrivée.\n" + "très " * 300
    html = "<p>" + "Merci beaucoup ! " * 100 + "</p>"  # one long ASCII line
    raw = email_bytes(
        sender="shop@example.com",
        sender_name="Boutique Zoé",
        to="zoe@example.com",
        subject="Merci, Zoé — 129,50 €",
        message_id="m-1@example.com",
        text=text,
        html=html,
        unsubscribe_url="https://t.example/u/" + "a" * 300,
        sent_at=SENT_AT,
    )
    assert raw.isascii() and all(len(line) <= 998 for line in raw.split(b"\r\n"))
    mail = _read(raw)
    assert mail["Subject"] == "Merci, Zoé — 129,50 €"
    assert mail["From"].addresses[0].display_name == "Boutique Zoé"
    assert mail["From"].addresses[0].addr_spec == "shop@example.com"
    assert mail["To"] == "zoe@example.com" and mail["Message-ID"] == "<m-1@example.com>"
    assert _content(mail.get_body(("plain",))) == text
    assert _content(mail.get_body(("html",))) == html
    # One line, so mail clients read the whole URL for their unsubscribe button.
    assert mail["List-Unsubscribe"] == "<https://t.example/u/" + "a" * 300 + ">"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_text_only_email_is_a_single_part_without_unsubscribe_headers():
    raw = email_bytes(
        sender="shop@example.com",
        sender_name="",
        to="ada@example.com",
        subject="Hi",
        message_id="m-2@example.com",
        text="Plain words\nFrom the team",
        html=None,
        unsubscribe_url=None,
        sent_at=SENT_AT,
    )
    mail = _read(raw)
    assert not mail.is_multipart() and _content(mail) == "Plain words\nFrom the team"
    assert mail["From"] == "shop@example.com" and mail["List-Unsubscribe"] is None


def test_every_email_carries_the_headers_rfc_5322_and_2045_require_parsed_strictly():
    raw = email_bytes(
        sender="shop@mail.example.com", sender_name="Shop", to="ada@example.com", subject="Hi",
        message_id="0123456789abcdef0123456789abcdef@mail.example.com", text="Hello", html="<p>Hello</p>",
        unsubscribe_url=None, sent_at=SENT_AT,
    )  # fmt: skip
    mail = email.message_from_bytes(raw, policy=policy.strict)  # a defect raises
    assert [name for name in ("Date", "From", "Message-ID", "MIME-Version") if mail[name] is None] == []
    assert parsedate_to_datetime(mail["Date"]) == SENT_AT and mail["Date"].endswith("+0000")
    assert MSG_ID.match(mail["Message-ID"]) and mail["Message-ID"].endswith("@mail.example.com>")
    assert mail["MIME-Version"] == "1.0"
    assert all(not part.defects for part in mail.walk())
    assert SENT_AT.astimezone(UTC).strftime("%d %b %Y %H:%M:%S") in mail["Date"]
