"""Liquid templates for journeys and campaigns: parse once to validate, render with the run's context.

Context names: `user` (with `user.data`), `organization`, `journey`, `now`, and for campaigns
`campaign` (its id, name and variables), `unsubscribe_url` and `preferences_url`. An unknown variable
renders empty, as Liquid users expect.
"""

import json
from functools import lru_cache
from typing import Any

from liquid import Environment
from liquid.exceptions import LiquidError

from core.errors import Invalid

_ENVIRONMENT = Environment()


@lru_cache(maxsize=2048)
def _compiled(source: str) -> Any:
    return _ENVIRONMENT.from_string(source)


def check_template(source: str, where: str) -> None:
    """Raise Invalid naming `where` when `source` does not parse."""
    try:
        _compiled(source)
    except LiquidError as error:
        raise Invalid(f"{where}: the template does not parse: {str(error).splitlines()[0]}") from None


def render(source: str, context: dict[str, Any]) -> str:
    if "{" not in source:
        return source
    return str(_compiled(source).render(**context))


def render_json(template: str | dict[str, Any] | list[Any], context: dict[str, Any], where: str) -> Any:
    """Render a JSON Liquid template (a string, or a JSON value whose strings are templates) to a value."""
    if isinstance(template, str):
        text = render(template, context)
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise Invalid(f"{where}: the rendered template is not JSON ({error.msg}): {text[:200]}") from None
    return _render_strings(template, context)


def _render_strings(value: Any, context: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return render(value, context)
    if isinstance(value, dict):
        return {key: _render_strings(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [_render_strings(item, context) for item in value]
    return value


def check_json_template(template: Any, where: str) -> None:
    for source in _strings(template):
        check_template(source, where)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []
