"""Discover the property paths and JSON types in an event's data."""

import re
from typing import Any

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
MAX_DEPTH = 8


def property_types(data: dict[str, Any], prefix: str = "data") -> set[tuple[str, str]]:
    """`{"a": {"b": 1}}` → `{("data.a.b", "number")}`; objects are walked, arrays are typed as a whole."""
    found: set[tuple[str, str]] = set()
    _walk(data, prefix, found, 0)
    return found


def _walk(value: dict[str, Any], prefix: str, found: set[tuple[str, str]], depth: int) -> None:
    for key, item in value.items():
        path = f"{prefix}.{key}"
        if isinstance(item, dict) and item and depth < MAX_DEPTH:
            _walk(item, path, found, depth + 1)
        else:
            found.add((path, json_type(item)))


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "date" if ISO_DATE.match(value) else "string"
    if isinstance(value, list):
        return "array"
    return "object"
