import uuid
from datetime import datetime
from typing import Any

from pydantic import EmailStr, Field, field_validator

from domain.identifiers import IdentifierOut, Identifiers
from domain.validation import check_locale, check_phone, check_timezone
from domain.wire import DataObject, OutModel, WireModel

PROFILE_FIELDS = ("email", "phone", "timezone", "locale")


class UserUpsert(WireModel):
    identifier: Identifiers
    email: EmailStr | None = None
    phone: str | None = None
    timezone: str | None = Field(default=None, max_length=64)
    locale: str | None = Field(default=None, max_length=35)
    data: DataObject | None = None

    _phone = field_validator("phone")(check_phone)
    _timezone = field_validator("timezone")(check_timezone)
    _locale = field_validator("locale")(check_locale)


class UserRef(WireModel):
    identifier: Identifiers


class UserOut(OutModel):
    id: uuid.UUID
    project_id: uuid.UUID
    identifier: list[IdentifierOut] = Field(validation_alias="identifiers")
    email: str | None
    phone: str | None
    timezone: str | None
    locale: str | None
    data: dict[str, Any]
    has_push_device: bool
    version: int
    created_at: datetime
    updated_at: datetime
