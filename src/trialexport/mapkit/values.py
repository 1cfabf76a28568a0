"""Value helpers every format needs, written once: telecom text, site names, other names, MeSH matching."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


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
