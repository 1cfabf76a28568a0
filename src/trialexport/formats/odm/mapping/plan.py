"""The version-neutral plan of one ODM document: the elements the mapping rows filled, by kind.

An element is a dict of fields keyed by its position (the source indices it came from, e.g. ``(2,)`` for the third
site, ``(2, 0)`` for that site's first contact). Serializers read the plan and the tables only, never the trial.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .tables import elements

Key = tuple[int, ...]
Fields = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to another element of the plan (written as its OID)."""

    kind: str
    key: Key = ()


@dataclass(slots=True)
class Plan:
    """Elements by kind; OIDs and Names from the patterns of ``elements.csv``."""

    study: str  # the study id as an OID part
    version: str
    kinds: dict[str, dict[Key, Fields]] = field(default_factory=dict)
    _oids: dict[tuple[str, Key], str] = field(default_factory=dict)  # OIDs written so far (the plan is complete)
    _next: dict[str, int] = field(default_factory=dict)  # next position of kinds appended to

    def element(self, kind: str, key: Key = ()) -> Fields:
        """The element of ``kind`` at ``key``, created empty on first use."""
        found = self.kinds.setdefault(kind, {})
        el = found.get(key)
        if el is None:
            el = found[key] = {}
        return el

    def items(self, kind: str) -> list[tuple[Key, Fields]]:
        """The elements of ``kind`` in document order (by position)."""
        return sorted(self.kinds.get(kind, {}).items())

    def one(self, kind: str) -> Fields:
        """The single element of ``kind`` (empty if none)."""
        return self.kinds.get(kind, {}).get((), {})

    def has(self, kind: str) -> bool:
        """Whether the plan holds an element of ``kind``."""
        return bool(self.kinds.get(kind))

    def next_key(self, kind: str) -> Key:
        """The position after the last element of ``kind`` (elements appended with ``Kind[+]``)."""
        n = self._next.get(kind)
        if n is None:
            n = max((k[0] for k in self.kinds.get(kind, {}) if k), default=-1) + 1
        self._next[kind] = n + 1
        return (n,)

    def oid(self, kind: str, key: Key = (), fields: Fields | None = None) -> str:
        """The OID of an element from the ``oid`` pattern of its kind (``fields``: of an element not in the plan)."""
        if fields is not None:
            return self._format(elements()[kind].oid, kind, key, fields)
        found = self._oids.get((kind, key))
        if found is None:
            found = self._oids[(kind, key)] = self._format(elements()[kind].oid, kind, key, None)
        return found

    def name(self, kind: str, key: Key = (), fields: Fields | None = None) -> str:
        """The Name of an element from the ``name`` pattern of its kind."""
        return self._format(elements()[kind].name, kind, key, fields)

    def ref(self, ref: Ref | None) -> str | None:
        """The OID a reference points to (``None`` stays ``None``)."""
        return None if ref is None else self.oid(ref.kind, ref.key)

    def _format(self, pattern: str, kind: str, key: Key, fields: Fields | None) -> str:
        names = _names(pattern)
        if not names:
            return pattern
        values = fields if fields is not None else self.kinds.get(kind, {}).get(key, {})
        study = self.one("Study")
        found: dict[str, Any] = {}
        for name in names:
            if name == "n":
                found[name] = key[0] + 1 if key else 1
            elif name == "m":
                found[name] = key[1] + 1 if len(key) > 1 else 1
            elif name == "study":
                found[name] = self.study
            elif name == "version":
                found[name] = self.version
            else:
                found[name] = values[name] if name in values else study.get(name)
        return pattern.format_map(found)


@cache
def _names(pattern: str) -> tuple[str, ...]:
    """The field names a pattern uses (``USR.SITE.{n:03d}.{m:02d}`` -> ``("n", "m")``)."""
    return tuple(name for _, name, _, _ in string.Formatter().parse(pattern) if name)
