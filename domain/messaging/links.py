"""Signed one-click links: unsubscribe from one subscription group without logging in."""

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass

from core.errors import Invalid


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
    if not payload or not hmac.compare_digest(mac, _mac(secret, payload)):
        raise Invalid("token: not a valid unsubscribe link")
    try:
        project_id, user_id, group_id = (uuid.UUID(part) for part in payload.split("."))
    except ValueError:
        raise Invalid("token: not a valid unsubscribe link") from None
    return UnsubscribeToken(project_id, user_id, group_id)


def _mac(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()
