"""Passwords, hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second recommended profile)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import Invalid

_HASHER = PasswordHasher()
# Verified against when the address is unknown, so both answers take an Argon2 verification's time.
_DECOY = _HASHER.hash("not a password anyone has")

MIN_LENGTH = 10
MAX_LENGTH = 200


def check_strength(password: str, field: str = "password") -> None:
    if len(password) < MIN_LENGTH:
        raise Invalid(f"{field}: at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"{field}: at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash (an unknown address) it still costs one verification."""
    try:
        return _HASHER.verify(password_hash or _DECOY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
