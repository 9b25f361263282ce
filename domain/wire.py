"""Request models accept snake_case and camelCase keys and ignore unknown ones; responses are snake_case."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        loc_by_alias=False,
        extra="ignore",
    )


class OutModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
