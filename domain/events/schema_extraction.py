"""Discover the property paths and JSON types in an event's data."""

import re
from typing import Any

from domain.json_kind import json_kind

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
    """The JSON type, with ISO 8601 strings reported as `date` for the rule builder."""
    kind = json_kind(value)
    return "date" if kind == "string" and ISO_DATE.match(value) else kind
