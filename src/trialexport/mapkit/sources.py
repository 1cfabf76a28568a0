"""The ``source`` cell of a mapping row, shared by every format's tables: model paths joined with ``+``.

``a.b[]{x;y}+c.d``: the first source drives iteration (one call per list item, with its indices); ``{x;y}`` keeps
only those keys of the item read (and only those leaves count as carried); further sources are read whole.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Source:
    """A model path read by a row; ``fields`` restricts a list item / object to the named keys."""

    path: str
    fields: tuple[str, ...] = ()

    def leaves(self) -> list[str]:
        """The model paths this source reads (for coverage)."""
        if not self.fields:
            return [self.path]
        return [f"{self.path}.{f}" for f in self.fields]


def parse_source(text: str) -> tuple[Source, ...]:
    """Parse ``a.b[]{x;y}+c.d`` into sources (the first drives iteration)."""
    out = []
    for part in filter(None, text.split("+")):
        fields: tuple[str, ...] = ()
        if part.endswith("}"):
            part, _, inner = part[:-1].partition("{")
            fields = tuple(f.strip() for f in inner.split(";"))
        out.append(Source(part, fields))
    return tuple(out)
