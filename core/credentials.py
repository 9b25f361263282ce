"""Provider credentials (SMTP passwords, SMS tokens, webhook headers) are sealed at rest with Fernet
(AES-128-CBC with HMAC-SHA256, from `cryptography`). The first key seals; every listed key opens, so a
key rotates by listing a new one first and re-sealing every row (docs/security.md)."""

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class CredentialsUnreadable(Exception):
    """Sealed with a key that is no longer configured."""


class CredentialCipher:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one credentials key is needed")
        self._fernet = MultiFernet([Fernet(key.strip().encode()) for key in keys])

    def seal(self, values: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(values).encode()).decode()

    def open(self, sealed: str) -> dict[str, Any]:
        try:
            opened: dict[str, Any] = json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken:
            raise CredentialsUnreadable("sealed with a key that is not configured") from None
        return opened


def new_key() -> str:
    return Fernet.generate_key().decode()


def development_key(secret: str) -> str:
    """A key derived from the development signing secret, for development mode only."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"credentials\n{secret}".encode()).digest()).decode()
