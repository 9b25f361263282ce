import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from domain.identifiers import IdentifierOut, Identifiers
from domain.wire import DataObject, OutModel, WireModel


class EntityRef(WireModel):
    """`identifier: [...]`, or the flat `external_id` (+ `source`) shorthand."""

    identifier: Identifiers

    @model_validator(mode="before")
    @classmethod
    def _flat_external_id(cls, value: Any) -> Any:
        return _lift_flat_identifier(value, "external_id", "externalId")


def _lift_flat_identifier(value: Any, *names: str) -> Any:
    if isinstance(value, dict) and "identifier" not in value:
        for name in names:
            if name in value:
                return {**value, "identifier": [{"external_id": value[name], "source": value.get("source")}]}
    return value


class OrganizationUpsert(EntityRef):
    name: str | None = Field(default=None, max_length=255)
    data: DataObject | None = None


class MembershipChange(WireModel):
    organization: EntityRef
    user: EntityRef
    data: DataObject | None = None

    @model_validator(mode="before")
    @classmethod
    def _flat_ids(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        value = dict(value)
        for entity in ("organization", "user"):
            if entity not in value:
                camel = entity + "ExternalId"
                flat = _lift_flat_identifier(value, f"{entity}_external_id", camel)
                if flat is not value:
                    value[entity] = {"identifier": flat["identifier"]}
        return value


class OrganizationOut(OutModel):
    id: uuid.UUID
    project_id: uuid.UUID
    identifier: list[IdentifierOut] = Field(validation_alias="identifiers")
    name: str | None
    data: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


class MembershipOut(OutModel):
    organization_id: uuid.UUID
    user_id: uuid.UUID
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
