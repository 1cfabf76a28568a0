"""Extensions built from their definitions (``mappings/fhir/extensions.csv`` and ``extension-parts.csv``).

A value is wrapped as ``value<Type>`` with the type the definition gives, never a type guessed from the Python value:
the cross-version ``outcomeMeasure.description`` is markdown, so it is ``valueMarkdown`` though it is a Python ``str``.
A complex extension gets one sub-extension per key of an R5-shaped dict (lists give one sub-extension per item).
"""

from __future__ import annotations

from typing import Any

from . import tables


def _typed(url: str, vtype: str, value: Any) -> dict[str, Any]:
    if not vtype:
        raise ValueError(f"extension {url!r} is complex: give its parts, not a value")
    return {"url": url, f"value{vtype[0].upper()}{vtype[1:]}": value}


def extension(name: str, value: Any) -> dict[str, Any]:
    """The extension ``name`` holding ``value`` (a dict of parts for a complex extension)."""
    d = tables.extension_defs()[name]
    if d.value_type:
        return _typed(d.url, d.value_type, value)
    subs: list[dict[str, Any]] = []
    for key, item in value.items():
        vtype = d.part_type(key)
        for one in item if isinstance(item, list) else [item]:
            subs.append(_typed(key, vtype, one))
    return {"url": d.url, "extension": subs}


def part(name: str, key: str, value: Any) -> dict[str, Any]:
    """One sub-extension ``key`` of the complex extension ``name`` (for a row that targets ``@name.key``)."""
    return extension(name, {key: value})
