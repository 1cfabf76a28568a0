"""Named transforms: the ``transform`` column of every mapping table names a small function from a closed registry.

Every format uses the same signature, ``fn(ctx, value, call) -> result | None`` (``None``: nothing to place):
``ctx`` is the run's :class:`~trialexport.mapkit.context.MapContext` (or a subclass), ``value`` what the row's
source read, ``call`` the row, the source indices and the source path. A registry is made once per format family
(:class:`TransformRegistry`), filled with the :meth:`~TransformRegistry.register` decorator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .pathexpr import concrete


@dataclass(slots=True)
class Call:
    """Where a transform is applied: the row, the source indices and the source path.

    An engine may make one per row and move ``idx`` from value to value: a transform must not keep it.
    """

    row: Any  # the compiled mapping row (its ``arg``, ``codes`` ... cells)
    idx: tuple[int, ...]
    source: str

    @property
    def path(self) -> str:
        """The concrete model path (``arms[2].type``), for diagnostics."""
        return concrete(self.source, self.idx) if self.source else ""


Transform = Callable[[Any, Any, Call], Any]


class TransformRegistry:
    """The closed set of transforms one family's tables may name."""

    def __init__(self, family: str) -> None:
        self.family = family
        self.functions: dict[str, Transform] = {}
        self.aggregate: set[str] = set()

    def register(self, name: str, *, aggregate: bool = False) -> Callable[[Transform], Transform]:
        """Register ``fn`` under ``name``; ``aggregate`` ones receive all values of a list source at once."""

        def deco(fn: Transform) -> Transform:
            if name in self.functions:
                raise ValueError(f"{self.family} transform {name!r} registered twice")
            self.functions[name] = fn
            if aggregate:
                self.aggregate.add(name)
            return fn

        return deco

    def get(self, name: str) -> Transform:
        """The transform ``name``; ``KeyError`` naming the table's family and the known names otherwise."""
        try:
            return self.functions[name]
        except KeyError:
            known = ", ".join(sorted(self.functions))
            raise KeyError(f"unknown {self.family} transform {name!r}; known: {known}") from None

    def __contains__(self, name: object) -> bool:
        return name in self.functions
