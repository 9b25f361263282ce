"""Checks for contact and locale fields, shared by every model that carries them."""

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
LOCALE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


def check_phone(value: str | None) -> str | None:
    if value is not None and not E164.match(value):
        raise ValueError("must be in E.164 format, e.g. +14155550123")
    return value


def check_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r}") from None
    if value not in available_timezones() and value != "UTC":
        raise ValueError(f"unknown IANA timezone {value!r}")
    return value


def check_locale(value: str | None) -> str | None:
    if value is not None and not LOCALE.match(value):
        raise ValueError(f"invalid locale {value!r}, expected a code like en or es-MX")
    return value
