"""Value helpers every format needs, written once: telecom text, site names, other names, MeSH ids and matching."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from .tables import load_table


def phone_text(phone: str | None, ext: str | None) -> str | None:
    """A phone number with its extension, as one text (``+1 555 0100 ext. 12``)."""
    if not phone:
        return None
    return f"{phone} ext. {ext}" if ext else phone


def site_name(facility: str | None, city: str | None, number: int) -> str:
    """A site's display name: the facility, else its city, else ``Site <number>`` (1-based)."""
    return facility or city or f"Site {number}"


def other_names_text(names: Sequence[str]) -> str:
    """An intervention's other names as one line: ``Other names: A; B``."""
    return "Other names: " + "; ".join(names)


def match_mesh(names: Iterable[str], meshes: Sequence[Any]) -> tuple[list[tuple[str, Any]], list[Any]]:
    """Pair each name with the MeSH term spelled the same (case-insensitively), and list the terms no name matched.

    ``meshes`` are model ``MeshTerm`` objects or dicts with ``id`` and ``term``. Returns ``([(name, term or None)],
    [unmatched terms in their order])``.
    """
    def get(m: Any, key: str) -> str:
        return str(m[key] if isinstance(m, dict) else getattr(m, key))

    by_term = {get(m, "term").casefold(): m for m in meshes}
    used: set[str] = set()
    pairs = []
    for name in names:
        m = by_term.get(name.casefold())
        if m is not None:
            used.add(get(m, "id"))
        pairs.append((name, m))
    return pairs, [m for m in meshes if get(m, "id") not in used]


@cache
def _mesh_short_below() -> dict[str, int]:
    return {r["prefix"]: int(r["short_below"]) for r in load_table("crosswalks", "mesh_ui.csv")}


def mesh_id(ui: str) -> str:
    """A MeSH unique identifier in NLM's own form: ``D000003920`` -> ``D003920`` (``mappings/crosswalks/mesh_ui.csv``).

    Only zero-padded 10-character UIs whose number predates NLM's 10-character UIs are shortened; others stay as given.
    """
    if len(ui) == 10 and ui[1:4] == "000" and ui[4:].isdigit():
        limit = _mesh_short_below().get(ui[0])
        if limit is not None and int(ui[4:]) < limit:
            return ui[0] + ui[4:]
    return ui


@cache
def _name_words() -> frozenset[str]:
    return frozenset(r["word"] for r in load_table("crosswalks", "person_name_words.csv"))


def _person_key(name: str) -> tuple[str, str] | None:
    head = name.split("(")[0].split(",")[0]
    words = [w.strip(".").casefold() for w in head.replace(".", ". ").split()]
    words = [w for w in words if w and w not in _name_words()]
    if not words:
        return None
    return words[-1], words[0][0]


def same_person(a: str, b: str) -> bool:
    """Whether two registry spellings name one person: same family name and first initial, titles and degrees aside
    (``Kevin F Gibson, MD`` / ``Kevin F. Gibson``; ``Rox Anderson, MD`` / ``Richard Rox Anderson, MD``)."""
    ka, kb = _person_key(a), _person_key(b)
    return ka is not None and ka == kb


def source_date_epoch(option: int | None) -> int | None:
    """SOURCE_DATE_EPOCH: the option if given, else the environment variable when it is a number, else ``None``."""
    import os

    if option is not None:
        return option
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(value) if value.isdigit() else None


def file_datetime(epoch: int | None, record_date: str | None) -> str:
    """When an output file is made, as every format writes it: ``epoch`` (:func:`source_date_epoch`) if set; else, so
    that the same record always gives the same bytes, the record's own date (``YYYY-MM-DD``) at midnight; never the
    wall clock. With neither, 1970-01-01T00:00:00."""
    import datetime

    if epoch is None and record_date:
        return f"{record_date}T00:00:00"
    return datetime.datetime.fromtimestamp(epoch or 0, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")
