"""Server-ready Bundles: ``batch`` references, and a study's Bundle split into parts a server can load in order.

FHIR servers cap the entries of one transaction (the engine tried in issue 12 took 50). :func:`split` orders the
entries so that every resource comes after what it references (Organizations, Practitioners, Locations and the
eligibility Group first, the ResearchStudy last), cuts them into parts of at most ``max_entries``, and turns every
reference that crosses a part into the literal ``Type/id`` the earlier part PUT (FHIR "Resolving references in
Bundles": a relative reference resolves against the server base). References inside a part keep their
``urn:uuid:`` fullUrl, as a transaction resolves them. Loading the parts in order therefore never meets a reference
to a resource the server does not hold yet; :func:`unresolved_across` proves it for a set of parts.

A ``batch`` Bundle's entries are processed independently (no fullUrl resolution between entries), so every
reference in it is literal ``Type/id`` (:func:`literal_references`).

The same functions serve ``convert --max-entries`` and ``push --max-entries`` (re-splitting files on the fly).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from trialexport.diagnostics import Diagnostic, error

JSON = Any
_LITERAL = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})$")


def _references(node: JSON) -> Iterator[dict[str, Any]]:
    """Every Reference-shaped object (a dict with a string ``reference``) inside ``node``."""
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def _literal_by_full_url(entries: list[dict[str, Any]]) -> dict[str, str]:
    return {e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in entries
            if isinstance(e.get("fullUrl"), str) and isinstance(e.get("resource"), dict)}  # fmt: skip


def literal_references(bundle: dict[str, Any]) -> dict[str, Any]:
    """The Bundle with every reference to one of its entries written as ``Type/id`` (in place; returned)."""
    literal = _literal_by_full_url(bundle.get("entry") or [])
    for entry in bundle.get("entry") or ():
        for ref in _references(entry.get("resource")):
            ref["reference"] = literal.get(ref["reference"], ref["reference"])
    return bundle


def _load_order(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries ordered so that each comes after every entry it references (stable: table order within a level)."""
    index = {e.get("fullUrl"): n for n, e in enumerate(entries)}
    literal = {v: index[k] for k, v in _literal_by_full_url(entries).items()}
    needs = [{i for r in _references(e.get("resource")) if (i := index.get(r["reference"], literal.get(r["reference"])))
              is not None and i != n} for n, e in enumerate(entries)]  # fmt: skip
    level: dict[int, int] = {}

    def depth(n: int, seen: frozenset[int]) -> int:
        if n not in level:  # a reference cycle (none in trialexport's Bundles) is cut where it closes
            level[n] = 1 + max((depth(m, seen | {n}) for m in needs[n] if m not in seen), default=-1)
        return level[n]

    return [entries[n] for n in sorted(range(len(entries)), key=lambda n: (depth(n, frozenset()), n))]


def split(bundle: dict[str, Any], max_entries: int) -> list[dict[str, Any]]:
    """The Bundle as parts of at most ``max_entries`` entries, in loading order (one part when it fits).

    Part 1 keeps the Bundle's id; part ``k`` is ``<id>-part-<k>``. Each part is a Bundle of the same type.
    """
    entries = bundle.get("entry") or []
    if max_entries < 1:
        raise ValueError("max_entries must be at least 1")
    if len(entries) <= max_entries:
        return [bundle]
    ordered = _load_order(entries)
    chunks = [ordered[i:i + max_entries] for i in range(0, len(ordered), max_entries)]
    literal = _literal_by_full_url(entries)
    parts = []
    for k, chunk in enumerate(chunks, start=1):
        here = {e.get("fullUrl") for e in chunk}
        new_entries = []
        for entry in chunk:
            entry = _copy(entry)
            for ref in _references(entry.get("resource")):
                if ref["reference"] in literal and ref["reference"] not in here:
                    ref["reference"] = literal[ref["reference"]]
            new_entries.append(entry)
        part = {key: value for key, value in bundle.items() if key != "entry"}
        if k > 1:
            part["id"] = f"{bundle.get('id', 'bundle')}-part-{k}"
        part["entry"] = new_entries
        parts.append(part)
    return parts


def _copy(node: JSON) -> JSON:
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


def unresolved_across(parts: list[dict[str, Any]]) -> list[Diagnostic]:
    """``FHIR-SPLIT-ORDER`` errors for literal ``Type/id`` references of a part that no entry of that part or of an
    earlier one PUTs: loading the parts in order would meet a reference the server cannot resolve."""
    known: set[str] = set()
    found = []
    for k, part in enumerate(parts, start=1):
        entries = part.get("entry") or []
        known |= set(_literal_by_full_url(entries).values())
        for n, entry in enumerate(entries):
            for ref in _references(entry.get("resource")):
                value = ref["reference"]
                if _LITERAL.match(value) and value not in known:
                    found.append(error("FHIR-SPLIT-ORDER", f"part {k}: reference {value!r} is to no resource of this "
                                       "part or an earlier one", path=f"/entry/{n}/resource"))
    return found
