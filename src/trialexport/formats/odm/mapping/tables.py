"""The ODM mapping tables (``mappings/odm/*.csv``), compiled once per process.

Rows (``tables.csv`` lists the row tables in the order they run) fill a version-neutral :class:`~.plan.Plan`;
``elements.csv`` gives each element's OID and Name patterns, fixed attributes and document order; ``items.csv``,
``codelists.csv``, ``forms.csv``, ``events.csv`` and ``methods.csv`` describe the EDC shell.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from trialexport.mapkit.pathexpr import parse_condition
from trialexport.mapkit.sources import MappingRow, parse_source
from trialexport.mapkit.tables import load_table


@cache
def odm_table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``mappings/odm/<name>.csv``."""
    return load_table("odm", f"{name}.csv")


@dataclass(frozen=True, slots=True)
class Target:
    """``Kind.field``, ``Kind[].field`` (one element per source item), ``Kind[+]`` (new elements) and friends.

    ``field`` is empty when the row creates the element itself; ``append`` (``field[+]``) adds to a list field;
    ``only_if_unset`` (trailing ``?``) keeps an earlier value (for ``Kind[+]?``: only when the kind has none).
    """

    kind: str
    mode: str  # "" (one element) | "[]" (one per source item) | "[+]" (append new elements)
    field: str
    append: bool
    only_if_unset: bool


def parse_target(text: str) -> Target:
    """Parse ``SiteContactUser[].email[+]``, ``Study.name?``, ``Indication[+]`` ..."""
    only = text.endswith("?")
    text = text.rstrip("?")
    head, _, field = text.partition(".")
    mode = next((m for m in ("[+]", "[]") if head.endswith(m)), "")
    append = field.endswith("[+]")
    return Target(head.removesuffix(mode), mode, field.removesuffix("[+]"), append, only)


#: One mapping row compiled for one ODM version.
Row = MappingRow[Target]


@cache
def rows(version: str) -> tuple[Row, ...]:
    """Every row with a target in ``version``, in table order (``tables.csv``)."""
    out = []
    for t in odm_table("tables"):
        for r in load_table("odm", t["table"]):
            target = r[f"target_{version}"]
            if not target:
                continue
            name, _, arg = r["transform"].partition(":")
            out.append(MappingRow(r["id"], t["table"], parse_source(r["source"]), parse_target(target), name, arg,
                           r["codes"], parse_condition(r["when"])))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Element:
    """An ``elements.csv`` row: patterns, fixed attributes and document order per version."""

    kind: str
    element: str
    oid: str
    name: str
    attributes: dict[str, dict[str, str]]  # version -> {attribute: value}
    order: dict[str, int]  # version -> position (absent: not written)


def _attributes(text: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in text.split(";") if p)


@cache
def elements() -> dict[str, Element]:
    """``{kind: Element}`` of ``elements.csv``."""
    out = {}
    for r in odm_table("elements"):
        versions = [k.removeprefix("order_") for k in r if k.startswith("order_")]
        out[r["kind"]] = Element(r["kind"], r["element"], r["oid"], r["name"],
                                 {v: _attributes(r[f"attributes_{v}"]) for v in versions},
                                 {v: int(r[f"order_{v}"]) for v in versions if r[f"order_{v}"]})
    return out


@cache
def kinds_of(element: str, version: str) -> tuple[Element, ...]:
    """The kinds written as ``element`` in ``version``, in document order."""
    found = [e for e in elements().values() if e.element == element and version in e.order]
    return tuple(sorted(found, key=lambda e: e.order[version]))


@cache
def setting(table: str, key: str, name: str) -> dict[str, str]:
    """The row of ``mappings/odm/<table>.csv`` whose ``key`` column is ``name``."""
    for row in odm_table(table):
        if row[key] == name:
            return row
    raise KeyError(f"no row {key}={name!r} in mappings/odm/{table}.csv")


@cache
def alias_context(name: str) -> str:
    """The Alias @Context registered under ``name`` in ``aliases.csv``."""
    return setting("aliases", "name", name)["context"]
