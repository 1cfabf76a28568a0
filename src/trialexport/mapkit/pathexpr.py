"""Tiny path expressions shared by the reader tables and the mapping engines.

A path is dot-separated keys; a key ending in ``[]`` is a list whose items are
visited one by one, e.g. ``protocolSection.armsInterventionsModule.armGroups[].label``.
Reading yields ``(indices, value)`` pairs, one index per ``[]``; the mapping engines place
each value at the same indices of their target path, so ``arms[].label`` feeds the matching
arm. ``when`` conditions (``path=VALUE`` / ``path!=VALUE``) are evaluated here too. There is
deliberately no expression language: anything cleverer is a named transform.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

Token = tuple[str, bool]  # (key, is_list)


@cache
def compile_path(path: str) -> tuple[Token, ...]:
    """Split ``a.b[].c`` into ``(("a", False), ("b", True), ("c", False))``."""
    tokens = []
    for part in path.split("."):
        if part.endswith("[]"):
            tokens.append((part[:-2], True))
        else:
            tokens.append((part, False))
    return tuple(tokens)


@cache
def _runs(path: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """``a.b[].c`` -> ``(("a", "b"), (("c",),))``: the keys to the first list, then the keys inside each list item."""
    runs: list[tuple[str, ...]] = [()]
    for key, is_list in compile_path(path):
        runs[-1] += (key,)
        if is_list:
            runs.append(())
    return runs[0], tuple(runs[1:])


def _follow(node: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def iter_values(obj: Any, path: str) -> list[tuple[tuple[int, ...], Any]]:
    """``(indices, value)`` for every non-null value found at ``path`` in ``obj``, in document order."""
    first, inner = _runs(path)
    node = _follow(obj, first)
    if node is None:
        return []
    level: list[tuple[tuple[int, ...], Any]] = [((), node)]
    for keys in inner:  # the value reached so far must be a list
        found: list[tuple[tuple[int, ...], Any]] = []
        for idx, seq in level:
            if isinstance(seq, list):
                for i, item in enumerate(seq):
                    value = _follow(item, keys)
                    if value is not None:
                        found.append((idx + (i,), value))
        if not found:
            return found
        level = found
    return level


@lru_cache(maxsize=4096)  # asked for every coded value, mostly for the same few items
def concrete(path: str, indices: tuple[int, ...]) -> str:
    """``a[].b`` with indices ``(3,)`` -> ``a[3].b`` (for messages and ``extras`` keys)."""
    it = iter(indices)
    return ".".join(f"{k}[{next(it, '')}]" if is_list else k for k, is_list in compile_path(path))


Condition = tuple[str, str, str]  # (path, "=" | "!=", value)


def parse_condition(text: str) -> Condition | None:
    """A mapping row's ``when`` cell: ``path=VALUE`` or ``path!=VALUE`` (empty: always)."""
    if not text.strip():
        return None
    op = "!=" if "!=" in text else "="
    path, _, value = text.partition(op)
    return path.strip(), op, value.strip()


def condition_holds(data: Any, cond: Condition | None) -> bool:
    """Whether the first value at the condition's path equals (or not) its value.

    Booleans compare as ``true``/``false``; a missing value compares as the empty string.
    """
    if cond is None:
        return True
    path, op, expected = cond
    got = next((v for _, v in iter_values(data, path)), None)
    text = "" if got in (None, [], {}) else (str(got).lower() if isinstance(got, bool) else str(got))
    return (text == expected) == (op == "=")
