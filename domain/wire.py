"""Request models accept snake_case and camelCase keys and ignore unknown ones; responses are snake_case.

Every request's JSON is bounded before anything is stored: nesting depth, text PostgreSQL cannot hold
(NUL, unpaired surrogates), numbers JSON cannot carry back (NaN, Infinity); and the free-form `data`
objects by size and depth (docs/limits.md lists every limit)."""

import json
import math
from typing import Annotated, Any

from pydantic import AfterValidator, AliasChoices, AliasGenerator, BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel

# Any request body: deeper than this is refused before it is validated or stored.
MAX_JSON_DEPTH = 64
# A user's, organization's or membership's `data` (and identifier metadata) as JSON text.
MAX_DATA_BYTES = 64 * 1024
# An event's `data`: events also travel through Temporal histories, kept well under their payload limits.
MAX_EVENT_DATA_BYTES = 256 * 1024
# Nesting of any `data` object (profiles, members, events, schedules).
MAX_DATA_DEPTH = 32


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _check_text(text: str, path: str) -> None:
    if "\x00" in text:
        raise ValueError(f"{path}: text must not contain the NUL character (\\u0000)")
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            raise ValueError(f"{path}: text must be valid Unicode (an unpaired surrogate such as \\udc00)") from None


def check_storable_json(value: Any, path: str = "", max_depth: int = MAX_JSON_DEPTH) -> None:
    """Rejects what PostgreSQL's JSONB and text columns cannot store, and nesting deeper than
    `max_depth`, naming the offending value's path. Iterative, so no input can exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item, where or "value")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError(f"{where or 'value'}: numbers must be finite (no NaN or Infinity)")
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                raise ValueError(f"{where or 'value'}: nested deeper than {max_depth} levels")
            if isinstance(item, dict):
                for key, child in item.items():
                    if isinstance(key, str):
                        _check_text(key, where or "key")
                    stack.append((child, _path(where, str(key)), depth + 1))
            else:
                stack.extend((child, _path(where, index), depth + 1) for index, child in enumerate(item))


def data_size(value: Any) -> int:
    """Characters of `value` as compact JSON: what the size limits count."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _bounded(max_bytes: int) -> AfterValidator:
    def check(value: Any) -> Any:
        if value is None:
            return value
        check_storable_json(value, max_depth=MAX_DATA_DEPTH)
        if data_size(value) > max_bytes:
            raise ValueError(f"must be at most {max_bytes // 1024} KiB of JSON")
        return value

    return AfterValidator(check)


# Free-form objects a caller stores: bounded in size and depth, each refusal naming the field.
DataObject = Annotated[dict[str, Any], _bounded(MAX_DATA_BYTES)]
EventData = Annotated[dict[str, Any], _bounded(MAX_EVENT_DATA_BYTES)]


class StorableJson(BaseModel):
    """Rejects values PostgreSQL cannot store, and runaway nesting, anywhere in the request."""

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        check_storable_json(value)
        return value


def _snake_or_camel(name: str) -> AliasChoices:
    """Lunogram documents snake_case fields and some of its SDKs send camelCase: both are read, and the
    API's schema shows the first."""
    return AliasChoices(name, to_camel(name))


class WireModel(StorableJson):
    model_config = ConfigDict(
        alias_generator=AliasGenerator(validation_alias=_snake_or_camel),
        validate_by_name=True,
        validate_by_alias=True,
        loc_by_alias=True,
        extra="ignore",
    )


class ManagementModel(WireModel):
    """A management object: an unknown key is refused, naming it (a misspelt setting must not be
    dropped silently). The client API's models stay lenient, as Lunogram's SDKs expect."""

    model_config = ConfigDict(extra="forbid")


class OutModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
