"""Imports point down, as docs/architecture.md draws them. Read from the source, not by importing it."""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = ("api", "cli", "worker", "workflows", "activities", "lifecycle", "domain", "core")

# What each top-level package may import (besides itself); `domain` and `core` are below everything.
ALLOWED = {
    "core": set(),
    "domain": {"core"},
    "lifecycle": {"domain", "core"},
    "activities": {"lifecycle", "domain", "core"},
    # Workflow code: activities by reference, pure domain code and payloads, its own policies.
    "workflows": {"activities", "domain", "core"},
    "api": {"lifecycle", "domain", "core"},
    "worker": {"workflows", "activities", "lifecycle", "domain", "core"},
    "cli": {"worker", "api", "lifecycle", "domain", "core"},
}

# Domain areas, lowest first: an area's logic may import only areas before it.
AREAS = ["projects", "accounts", "events", "users", "organizations", "schedules", "rules", "lists", "messaging",
         "journeys", "broadcasts", "trends"]  # fmt: skip
# Modules of `domain/` outside the areas: the kernel sits below every area, the flows above them all.
KERNEL = {"base", "wire", "identifiers", "json_kind", "validation", "paging", "templating", "template_context",
          "local_time", "listening", "unit_of_work", "anniversary_index", "audit"}  # fmt: skip
FLOWS = {"tables", "user_deletion"}
# The schema and the wire shapes are shared: any module may read any area's tables and payloads.
SHARED = {"models", "payloads"}


def imports() -> Iterator[tuple[str, str]]:
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                else:
                    continue
                for name in names:
                    if name.split(".")[0] in PACKAGES:
                        yield module, name


def domain_place(module: str) -> tuple[str, str]:
    """("area", name), ("kernel", name), ("flow", name) or ("shared", area) for a `domain.…` module."""
    parts = module.split(".")
    if len(parts) == 2:
        return ("kernel" if parts[1] in KERNEL else "flow", parts[1])
    return ("shared" if parts[-1] in SHARED else "area", parts[1])


def domain_refusal(importer: str, imported: str) -> str | None:
    kind, name = domain_place(importer)
    target_kind, target = domain_place(imported)
    if kind == "flow" or target_kind == "shared":
        if kind == "shared" and target_kind not in ("shared", "kernel"):
            return "models and payloads import only other models, payloads and the kernel"
        return None
    if target_kind == "flow":
        return "nothing in domain imports a cross-area flow"
    if kind == "kernel" or kind == "shared":
        return None if target_kind == "kernel" else "the kernel imports no area's logic"
    if target_kind == "kernel" or target == name:
        return None
    assert name in AREAS and target in AREAS, f"unknown domain area in {importer} -> {imported}"
    if AREAS.index(target) > AREAS.index(name):
        return f"area {name} is below {target}"
    return None


def test_packages_import_only_the_layers_below_them():
    wrong = [
        f"{importer} -> {imported}"
        for importer, imported in imports()
        if (top := importer.split(".")[0]) != (target := imported.split(".")[0]) and target not in ALLOWED[top]
    ]
    assert wrong == []


def test_domain_areas_import_only_areas_below_them():
    wrong = [
        f"{importer} -> {imported}: {reason}"
        for importer, imported in imports()
        if importer.startswith("domain.") and imported.startswith("domain.")
        if (reason := domain_refusal(importer, imported)) is not None
    ]
    assert wrong == []


def test_workflows_import_no_client_side_code_and_no_database():
    wrong = [
        f"{importer} -> {imported}"
        for importer, imported in imports()
        if importer.startswith("workflows.")
        and imported.split(".")[0] in ("lifecycle", "api")
        or importer.startswith("workflows.")
        and imported in ("core.db", "core.prepared")
    ]
    assert wrong == []
