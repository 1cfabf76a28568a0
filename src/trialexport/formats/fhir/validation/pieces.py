"""A resource or Bundle cut into pieces, each checked against its own schema definition.

The schema root is a ``oneOf`` over ~150 resource definitions, and ``Bundle.entry.resource`` /
``DomainResource.contained`` / ``Bundle.issues`` / ``Bundle.entry.response.outcome`` are ``#/definitions/ResourceList``,
the same ``oneOf``. Every resource definition requires ``resourceType`` with a ``const`` equal to its name, so an
object is valid against that ``oneOf`` exactly when it is valid against ``#/definitions/<its resourceType>``. We use
that equivalence: each nested resource whose ``resourceType`` names a known type is cut out of its parent (copy on
write; the caller's object is never modified), validated against its own definition, and the remaining *shell*
(e.g. the Bundle with its ``entry[].resource`` removed) is validated against its own definition. A nested value that
is not such a resource is left in place, so the shell's ``ResourceList`` still rejects it. Which properties are
resource slots is read from the schema itself (:func:`resource_slots`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from trialexport.diagnostics import Diagnostic, error

from .schema import resource_types
from .schemagraph import links, reaching

JSON = dict[str, Any]
Piece = tuple[str, str, JSON]  # (JSON pointer, resourceType, shell)
MAX_MSG = 300


def escape(token: Any) -> str:
    """A JSON-pointer reference token (``~`` and ``/`` escaped)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(base: str, parts: Any) -> str:
    """``base`` extended by the reference tokens ``parts``."""
    return base + "".join(f"/{escape(p)}" for p in parts)


def short(message: str) -> str:
    """A message cut to :data:`MAX_MSG` characters."""
    return message if len(message) <= MAX_MSG else message[: MAX_MSG - 1] + "…"


@cache
def resource_slots(version: str) -> dict[str, dict[str, tuple[str, str | None, bool]]]:
    """For each definition: the properties that hold nested resources or lead to definitions that do.

    Value per property: ``("resource", None, is_array)`` for a ``ResourceList`` slot, or
    ``("element", <definition>, is_array)`` for a backbone element that (transitively) has such slots.
    """
    types = resource_types(version)
    direct: dict[str, dict[str, tuple[str, str | None, bool]]] = {}
    inner: dict[str, dict[str, tuple[str, bool]]] = {}
    for name, props in links(version).items():
        for prop, (target, is_array) in props.items():
            if target == "ResourceList":
                direct.setdefault(name, {})[prop] = ("resource", None, is_array)
            elif target not in types:
                inner.setdefault(name, {})[prop] = (target, is_array)
    has_slots = reaching(direct, inner)
    plan: dict[str, dict[str, tuple[str, str | None, bool]]] = {}
    for name in has_slots:
        slots = dict(direct.get(name, {}))
        for prop, (t, is_array) in inner.get(name, {}).items():
            if t in has_slots:
                slots[prop] = ("element", t, is_array)
        plan[name] = slots
    return plan



_REMOVE = object()


def _is_resource(value: Any, types: frozenset[str]) -> bool:
    if not isinstance(value, dict):
        return False
    rtype = value.get("resourceType")
    return isinstance(rtype, str) and rtype in types


def _strip(node: JSON, definition: str, pointer: str, version: str, out: list[tuple[str, JSON]]) -> JSON:
    """``node`` without its nested resources (copy on write); each removed one is appended to ``out``."""
    slots = resource_slots(version).get(definition)
    if not slots:
        return node
    types = resource_types(version)
    changes: dict[str, Any] = {}
    for prop, (kind, target, is_array) in slots.items():
        value = node.get(prop)
        if value is None:
            continue
        base = f"{pointer}/{escape(prop)}"
        if kind == "resource":
            if is_array:
                if isinstance(value, list) and value and all(_is_resource(v, types) for v in value):
                    out.extend((f"{base}/{i}", v) for i, v in enumerate(value))
                    changes[prop] = _REMOVE
            elif _is_resource(value, types):
                out.append((base, value))
                changes[prop] = _REMOVE
        elif is_array and isinstance(value, list):
            new = [
                _strip(v, target, f"{base}/{i}", version, out) if isinstance(v, dict) else v  # type: ignore[arg-type]
                for i, v in enumerate(value)
            ]
            if any(a is not b for a, b in zip(new, value, strict=True)):
                changes[prop] = new
        elif not is_array and isinstance(value, dict):
            new_el = _strip(value, target, base, version, out)  # type: ignore[arg-type]
            if new_el is not value:
                changes[prop] = new_el
    if not changes:
        return node
    return {k: changes.get(k, v) for k, v in node.items() if changes.get(k) is not _REMOVE}


def split(obj: JSON, version: str) -> tuple[list[tuple[str, str, JSON]], list[Diagnostic]]:
    """Split ``obj`` into ``(pointer, resourceType, shell)`` pieces, each to check against its own definition."""
    types = resource_types(version)
    pieces: list[tuple[str, str, JSON]] = []
    problems: list[Diagnostic] = []
    todo: list[tuple[str, JSON]] = [("", obj)]
    while todo:
        pointer, res = todo.pop(0)
        rtype = res.get("resourceType")
        if not isinstance(rtype, str) or rtype not in types:
            where = f"{pointer}/resourceType" if "resourceType" in res else pointer
            got = f"got {rtype!r}" if "resourceType" in res else "it is missing"
            problems.append(
                error(
                    "FHIR-SCHEMA",
                    f"expected a FHIR {version.upper()} resource: 'resourceType' must name a "
                    f"{version.upper()} resource type, {got}",
                    path=where,
                )
            )
            continue
        nested: list[tuple[str, JSON]] = []
        pieces.append((pointer, rtype, _strip(res, rtype, pointer, version, nested)))
        todo.extend(nested)
    return pieces, problems


