"""The ``source`` cell of a mapping row, shared by every format's tables: model paths joined with ``+``.

``a.b[]{x;y}+c.d``: the first source drives iteration (one call per list item, with its indices); ``{x;y}`` keeps
only those keys of the item read (and only those leaves count as carried); ``{~x}`` reads ``x`` without carrying it
(a value only decides something, e.g. a UserType); ``a[]{}`` reads the whole item but carries nothing by itself (it
only structures: one element per item); further sources are read whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .pathexpr import Condition, iter_values

TargetT = TypeVar("TargetT")


@dataclass(frozen=True, slots=True)
class Source:
    """A model path read by a row; ``fields`` restricts a list item / object to the named keys."""

    path: str
    fields: tuple[str, ...] = ()
    structure: bool = False  # ``{}``: read whole, carries nothing
    uncarried: tuple[str, ...] = ()  # ``{~x}``: fields read that decide something but are not carried

    def leaves(self) -> list[str]:
        """The model paths this source carries (for coverage)."""
        if self.structure:
            return []
        if not self.fields:
            return [self.path]
        return [f"{self.path}.{f}" for f in self.fields if f not in self.uncarried]


def parse_source(text: str) -> tuple[Source, ...]:
    """Parse ``a.b[]{x;y}+c.d`` into sources (the first drives iteration)."""
    out = []
    for part in filter(None, text.split("+")):
        fields: tuple[str, ...] = ()
        structure = False
        uncarried: tuple[str, ...] = ()
        if part.endswith("}"):
            part, _, inner = part[:-1].partition("{")
            names = [f.strip() for f in inner.split(";") if f.strip()]
            fields = tuple(f.lstrip("~") for f in names)
            uncarried = tuple(f[1:] for f in names if f.startswith("~"))
            structure = not fields
        out.append(Source(part, fields, structure, uncarried))
    return tuple(out)


def select(value: Any, fields: tuple[str, ...]) -> Any:
    """Only the named keys of an object (of each object of a list); ``None`` when none is set."""
    if not fields:
        return value
    if isinstance(value, list):
        return [select(v, fields) for v in value]
    if isinstance(value, dict):
        return {f: value[f] for f in fields if value.get(f) is not None} or None
    return value


def read_whole(data: Any, source: Source) -> Any:
    """A source read whole (not iterated): its value, or the list of its values for a path through lists."""
    found = iter_values(data, source.path)
    if "[]" in source.path:
        return [select(v, source.fields) for _, v in found] if found else None
    return select(found[0][1], source.fields) if found else None


def carried_leaves(sources: tuple[Source, ...]) -> frozenset[str]:
    """The model paths (normalized) a row carries when it places a value (``{}`` sources: none)."""
    return frozenset(p.removesuffix("[]") for src in sources for p in src.leaves())


@dataclass(frozen=True, slots=True)
class MappingRow(Generic[TargetT]):
    """One mapping row compiled for one version of a format; each format brings its own ``Target`` type."""

    id: str
    table: str
    sources: tuple[Source, ...]
    target: TargetT
    transform: str
    arg: str
    codes: str
    when: Condition | None  # (model path, "=" | "!=", value)
