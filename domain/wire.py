"""Request models accept snake_case and camelCase keys and ignore unknown ones; responses are snake_case."""

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel


def check_storable_json(value: Any, path: str = "") -> None:
    """PostgreSQL's JSONB and text columns refuse NUL characters and NaN/Infinity: reject them up
    front with the path of the offending value, instead of failing later in storage."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{path}: text must not contain the NUL character (\\u0000)")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: numbers must be finite (no NaN or Infinity)")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_storable_json(key, path or "key")
            check_storable_json(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_storable_json(item, f"{path}[{index}]" if path else f"[{index}]")


class StorableJson(BaseModel):
    """Rejects values PostgreSQL cannot store anywhere in the request."""

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        check_storable_json(value)
        return value


class WireModel(StorableJson):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        loc_by_alias=False,
        extra="ignore",
    )


class OutModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
