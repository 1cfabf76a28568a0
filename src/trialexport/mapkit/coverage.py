"""Coverage: which populated model fields a writer mapped, and which it did not carry (and why).

Writers declare the model paths their mapping rows read (e.g. ``arms[].label``); every
populated leaf of the trial is then either under one of those paths ("mapped") or listed
as not carried, with the reason from the target's ``not-carried`` table (or "no mapping
row"). ``extras`` entries are never carried: they had no place in the model to begin with.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trialexport.model import Trial

@dataclass(slots=True)
class Coverage:
    """What one writer did with the model: fields mapped, fields not carried (and why)."""

    mapped: list[str] = field(default_factory=list)
    not_carried: dict[str, str] = field(default_factory=dict)  # model path -> reason

    def to_dict(self) -> dict[str, Any]:
        return {"mapped": sorted(self.mapped), "not_carried": dict(sorted(self.not_carried.items()))}


_last: tuple[weakref.ref[Trial], list[str]] | None = None


def populated_leaves(trial: Trial) -> list[str]:
    """Normalized paths (``arms[].label``) of every populated leaf of the trial, extras excluded.

    Every writer asks for the same trial in turn, so the last answer is remembered.
    """
    global _last
    if _last is not None and _last[0]() is trial:
        return _last[1]
    leaves = _populated_leaves(trial)
    _last = (weakref.ref(trial), leaves)
    return leaves


def _populated_leaves(trial: Trial) -> list[str]:
    out: set[str] = set()

    def walk(node: Any, norm: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{norm}.{key}" if norm else key)
        elif isinstance(node, list):
            for item in node:
                walk(item, norm + "[]")
        elif node is not None and node != "":
            out.add(norm)

    data = trial.to_data()
    data.pop("extras", None)
    walk(data, "")
    return sorted(out)


@lru_cache(maxsize=1 << 16)  # (model path, sources) pairs: ODM sources differ per record (the rows that ran)
def _covered(path: str, sources: frozenset[str]) -> bool:
    if path in sources:
        return True
    # a row reading a whole subtree (e.g. "status.start_date") covers its leaves
    return any(ch in ".[" and path[:i] in sources for i, ch in enumerate(path))


def compute(trial: Trial, sources: Iterable[str], reasons: dict[str, str]) -> Coverage:
    """Coverage of ``trial`` for a writer whose rows read ``sources``; ``reasons`` explain gaps."""
    src = frozenset(sources)
    cov = Coverage()
    for path in populated_leaves(trial):
        if _covered(path, src):
            cov.mapped.append(path)
        else:
            cov.not_carried[path] = _reason(path, reasons)
    for key in trial.extras:
        cov.not_carried[f"extras.{key}"] = "no field in the trial model for this source field"
    return cov


def _reason(path: str, reasons: dict[str, str]) -> str:
    if path in reasons:
        return reasons[path]
    for i in range(len(path), 0, -1):
        if path[i - 1 : i] in (".", "[") and path[: i - 1] in reasons:
            return reasons[path[: i - 1]]
    return "no mapping row for this field"
