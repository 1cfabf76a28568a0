"""Locate a key path in JSON or YAML text, so findings can say ``file:line:col``."""

from __future__ import annotations

from typing import Any

from trialexport.diagnostics import Diagnostic


def line_index(text: str) -> dict[tuple[str, ...], tuple[int, int]]:
    """Map key paths (``("entry", "3", "resource", "status")``) to the (line, col) of their value.

    Uses the YAML composer, which reads JSON too; returns ``{}`` when the text cannot be composed.
    """
    import yaml

    out: dict[tuple[str, ...], tuple[int, int]] = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        out[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, (*path, str(key.value)))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, str(i)))

    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, RecursionError):
        return out
    if root is not None:
        walk(root, ())
    return out


def locate(index: dict[tuple[str, ...], tuple[int, int]], pointer: str) -> tuple[int | None, int | None]:
    """(line, col) of a JSON pointer (``/entry/3/resource``), or of its nearest located ancestor."""
    parts = tuple(p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]) if pointer else ()
    while True:
        if parts in index:
            return index[parts]
        if not parts:
            return None, None
        parts = parts[:-1]


def json_pointer(dotted: str) -> str:
    """``entry[3].resource.title`` -> ``/entry/3/resource/title``."""
    import re

    return "/" + re.sub(r"\[(\d+)\]", r".\1", dotted).replace(".", "/") if dotted else ""


def located_in_text(found: list[Diagnostic], data: bytes) -> list[Diagnostic]:
    """Findings with JSON-pointer paths given the line:col of that place in the JSON text ``data``.

    Information notes keep their JSON pointer only: indexing a large file's lines costs far more than checking it,
    and a Bundle can carry a thousand notes (``FHIR-REF-OUTSIDE``) and no error.
    """
    if not any(d.severity != "info" for d in found):
        return found
    index = line_index(data.decode("utf-8", "replace"))
    out = []
    for d in found:
        if d.severity == "info":
            out.append(d)
            continue
        line, col = locate(index, d.path or "")
        out.append(Diagnostic(d.severity, d.code, d.message, d.file, d.record, d.path, d.line or line, d.col or col))
    return out
