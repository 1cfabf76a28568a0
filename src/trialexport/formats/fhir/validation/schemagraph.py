"""The shape of an official FHIR JSON schema as a graph: which definition each property leads to, and where.

The schema's definitions link through ``$ref`` properties (``"$ref": "#/definitions/CodeableConcept"``, or an array
of them). The validators walk resources along these links: :mod:`.elements` (rules the
schema does not state) and :func:`.validate.validate_fhir` (which cuts nested resources out).
Everything here is computed once per FHIR version.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from functools import cache
from typing import Any

from .schema import load_schema

__all__ = ["element_paths", "links", "paths_of", "reaching", "ref_target"]

JSON = dict[str, Any]
_PREFIX = "#/definitions/"


def ref_target(prop: JSON) -> tuple[str | None, bool]:
    """``(definition name, is_array)`` of a property that is a ``$ref`` or an array of ``$ref``, else ``(None, _)``."""
    ref = prop.get("$ref")
    is_array = False
    if ref is None and prop.get("type") == "array" and isinstance(prop.get("items"), dict):
        items = prop["items"]
        if "anyOf" in items:  # ``_<element>`` arrays amended to allow null items (see .schema)
            items = next((a for a in items["anyOf"] if isinstance(a, dict) and "$ref" in a), {})
        ref, is_array = items.get("$ref"), True
    if isinstance(ref, str) and ref.startswith(_PREFIX):
        return ref[len(_PREFIX) :], is_array
    return None, is_array


def _links(definitions: JSON) -> dict[str, dict[str, tuple[str, bool]]]:
    out: dict[str, dict[str, tuple[str, bool]]] = {}
    for name, d in definitions.items():
        if not isinstance(d, dict) or "properties" not in d:
            continue
        props = out[name] = {}
        for prop, sub in d["properties"].items():
            if isinstance(sub, dict):
                target, is_array = ref_target(sub)
                if target is not None:
                    props[prop] = (target, is_array)
    return out


@cache
def links(version: str) -> dict[str, dict[str, tuple[str, bool]]]:
    """``definition -> property -> (target definition, is_array)`` for every ``$ref`` property (read-only)."""
    return _links(load_schema(version)["definitions"])


def element_paths(definitions: JSON, graph: dict[str, dict[str, tuple[str, bool]]] | None = None,
                  ) -> dict[str, tuple[str, ...]]:  # fmt: skip
    """FHIR element paths of each complex schema definition, shortest first.

    ``ResearchStudy_ProgressStatus`` -> ``("ResearchStudy.progressStatus",)``. Root types (no ``_`` in the name, with
    ``properties``) are their own path. A backbone definition gets every property chain (visiting no definition
    twice) that reaches it from its root: an element defined by a FHIR ``contentReference`` reuses the definition it
    points to, so ``CapabilityStatement_SearchParam`` is both ``CapabilityStatement.rest.resource.searchParam`` (where
    it is defined, and where its bindings are declared) and ``CapabilityStatement.rest.searchParam``.
    """
    graph = graph if graph is not None else _links(definitions)
    paths: dict[str, list[str]] = {}
    for root in graph:
        if "_" in root:
            continue
        paths[root] = [root]
        todo = deque([(root, root, frozenset([root]))])
        while todo:
            name, path, seen = todo.popleft()
            for prop, (target, _) in graph.get(name, {}).items():
                if "_" in target and target not in seen and target.split("_", 1)[0] == root:
                    paths.setdefault(target, []).append(f"{path}.{prop}")
                    todo.append((target, f"{path}.{prop}", seen | {target}))
    return {name: tuple(found) for name, found in paths.items()}


@cache
def paths_of(version: str) -> dict[str, tuple[str, ...]]:
    """:func:`element_paths` of ``version``'s schema (read-only)."""
    return element_paths(load_schema(version)["definitions"], links(version))


def reaching(seeds: Iterable[str], graph: dict[str, Any]) -> set[str]:
    """``seeds`` and every definition whose properties (``graph[name]``: property -> target or (target, ...))
    lead to one of them, directly or through others."""
    back: dict[str, list[str]] = {}
    for name, props in graph.items():
        for value in props.values():
            back.setdefault(value[0] if isinstance(value, tuple) else value, []).append(name)
    found = set(seeds)
    todo = list(found)
    while todo:
        for parent in back.get(todo.pop(), ()):
            if parent not in found:
                found.add(parent)
                todo.append(parent)
    return found
