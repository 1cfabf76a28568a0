"""Element shapes that differ between FHIR versions (``mappings/fhir/version-shapes.csv``), applied after mapping.

Rules: ``drop`` (no such element), ``list`` (0..* there), ``rename:<name>``, ``integer`` (a number there, a JSON
string in R5) and ``extension:<name>`` (an R5 element carried in the cross-version extension ``name``).
"""

from __future__ import annotations

from typing import Any

from .extensions import extension


def apply_shape(node: Any, path: tuple[str, ...], rule: str) -> None:
    """Apply ``rule`` to the element at ``path`` under ``node`` (lists are walked; ``action.action`` nests)."""
    if isinstance(node, list):
        for item in node:
            apply_shape(item, path, rule)
        return
    if not isinstance(node, dict):
        return
    key = path[0]
    if len(path) > 1:
        child = node.get(key)
        if child is not None:
            apply_shape(child, path[1:], rule)
            apply_shape(child, path, rule)  # self-nesting elements (action.action)
        return
    if key not in node:
        return
    if rule == "drop":
        del node[key]
    elif rule == "list":
        if not isinstance(node[key], list):
            node[key] = [node[key]]
    elif rule == "integer":
        node[key] = int(node[key])
    elif rule.startswith("rename:"):
        node[rule[7:]] = node.pop(key)
    elif rule.startswith("extension:"):
        value = node.pop(key)
        exts = node.setdefault("extension", [])
        exts.extend(extension(rule[10:], v) for v in (value if isinstance(value, list) else [value]))
    else:
        raise ValueError(f"unknown version-shapes rule {rule!r}")
