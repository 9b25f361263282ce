"""Signed links in messages: one-click unsubscribe from a subscription group, and the click and open
tracking of an email. The signature (HMAC with the deployment's signing secret) is the only credential."""

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from core.config import Settings
from core.credentials import CredentialCipher
from core.errors import Invalid

_MESSAGE_KEY = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Links:
    """What a message needs of this deployment: where recipients reach it (`public_url`), the secret its
    links are signed with, and the cipher that opens its providers' sealed credentials."""

    public_url: str
    secret: str
    cipher: CredentialCipher

    @classmethod
    def from_settings(cls, settings: Settings) -> "Links":
        return cls(settings.public_url, settings.link_secret, settings.credential_cipher())

    def click(self, message_key: str, url: str) -> str:
        signature = _mac(self.secret, f"click\n{message_key}\n{url}")
        return f"{self.public_url}/api/track/{message_key}/click/{signature}?url={quote(url, safe='')}"

    def open_pixel(self, message_key: str) -> str:
        signature = _mac(self.secret, f"open\n{message_key}")
        return f"{self.public_url}/api/track/{message_key}/open/{signature}.gif"

    def provider_feedback(self, provider_id: uuid.UUID, kind: str) -> str:
        """Where a provider reports deliveries, bounces and complaints (JSON), or, for an SMS provider,
        posts its Twilio-style status callbacks and inbound replies (form fields)."""
        signature = _mac(self.secret, f"provider\n{provider_id}")
        return f"{self.public_url}/api/providers/{provider_id}/{'sms' if kind == 'sms' else 'reports'}/{signature}"


def verify_provider(secret: str, provider_id: uuid.UUID, signature: str) -> None:
    if not _same(signature, _mac(secret, f"provider\n{provider_id}")):
        raise Invalid("signature: not this provider's feedback address")


def verify_click(secret: str, key: str, url: str, signature: str) -> None:
    _verify_tracking(secret, key, f"click\n{key}\n{url}", signature, "link")


def verify_open(secret: str, key: str, signature: str) -> None:
    _verify_tracking(secret, key, f"open\n{key}", signature, "pixel")


def _verify_tracking(secret: str, key: str, payload: str, signature: str, what: str) -> None:
    if not _MESSAGE_KEY.match(key) or not _same(signature, _mac(secret, payload)):
        raise Invalid(f"signature: not a valid tracking {what}")


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison of bytes: a signature from a URL may hold any character, and
    `compare_digest` refuses non-ASCII text."""
    return hmac.compare_digest(given.encode(errors="replace"), expected.encode())


@dataclass(frozen=True)
class UnsubscribeToken:
    project_id: uuid.UUID
    user_id: uuid.UUID
    group_id: uuid.UUID


def sign_unsubscribe(secret: str, token: UnsubscribeToken) -> str:
    payload = f"{token.project_id}.{token.user_id}.{token.group_id}"
    return f"{payload}.{_mac(secret, payload)}"


def verify_unsubscribe(secret: str, signed: str) -> UnsubscribeToken:
    payload, _, mac = signed.rpartition(".")
    if not payload or not _same(mac, _mac(secret, payload)):
        raise Invalid("token: not a valid unsubscribe link")
    try:
        project_id, user_id, group_id = (uuid.UUID(part) for part in payload.split("."))
    except ValueError:
        raise Invalid("token: not a valid unsubscribe link") from None
    return UnsubscribeToken(project_id, user_id, group_id)


def _mac(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(errors="surrogatepass"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()
