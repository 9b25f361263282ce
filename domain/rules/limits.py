"""Bounds on a rule's size, checked on the raw JSON before it is parsed or compiled to SQL.

A rule is compiled into one SQL statement; PostgreSQL plans it whole and a backend stuck in planning
ignores cancellation, so a runaway rule must be refused here, not timed out later (docs/limits.md)."""

from typing import Any

from core.errors import Invalid

MAX_RULE_NODES = 500
MAX_RULE_DEPTH = 12
MAX_RULE_VALUES = 10_000
MAX_RULE_TEXT = 1_000
GROUPS = ("all", "any")


def check_rule_limits(raw: Any, path: str = "rule") -> None:
    """Counts rule nodes and nesting iteratively (no input can exhaust the stack); checks the length of
    value lists and strings. Each refusal names the node's path and the limit."""
    nodes = 0
    stack: list[tuple[Any, str, int]] = [(raw, path, 1)]
    while stack:
        node, where, depth = stack.pop()
        if not isinstance(node, dict):
            continue  # the parser names the shape error
        nodes += 1
        if nodes > MAX_RULE_NODES:
            raise Invalid(f"{where}: a rule may hold at most {MAX_RULE_NODES} conditions and groups")
        if depth > MAX_RULE_DEPTH:
            raise Invalid(f"{where}: rules may nest at most {MAX_RULE_DEPTH} levels deep")
        _check_values(node, where)
        for kind in GROUPS:
            if isinstance(node.get(kind), list):
                if len(node[kind]) > MAX_RULE_NODES:
                    raise Invalid(
                        f"{where}.{kind}: {len(node[kind])} rules, more than the {MAX_RULE_NODES} a rule may hold"
                    )
                stack.extend((child, f"{where}.{kind}[{i}]", depth + 1) for i, child in enumerate(node[kind]))
        for kind in ("not", "where"):
            if kind in node:
                stack.append((node[kind], f"{where}.{kind}", depth + 1))


def _check_values(node: dict[str, Any], where: str) -> None:
    value = node.get("value")
    if isinstance(value, list) and len(value) > MAX_RULE_VALUES:
        raise Invalid(f"{where}.value: {len(value)} values, more than the {MAX_RULE_VALUES} a condition may list")
    texts = [(f"{where}.value", value)] if not isinstance(value, list) else []
    texts += [(f"{where}.{key}", node.get(key)) for key in ("property", "event", "organization_event", "in_list")]
    if isinstance(value, list):
        texts += [(f"{where}.value[{i}]", v) for i, v in enumerate(value)]
    for field, text in texts:
        if isinstance(text, str) and len(text) > MAX_RULE_TEXT:
            raise Invalid(f"{field}: longer than the {MAX_RULE_TEXT} characters a rule's text may hold")
