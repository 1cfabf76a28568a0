"""Shortcuts of the readers give the answers of the slow paths they stand in for."""

from __future__ import annotations

from typing import Any

import pytest

from trialexport.readers.decode import MAX_DEPTH, _trail_path, too_deep


def _walk_depth(obj: Any, limit: int = MAX_DEPTH) -> str | None:
    """The plain walk ``too_deep`` falls back to."""
    stack: list[tuple[Any, int, Any]] = [(obj, 0, None)]
    while stack:
        node, depth, trail = stack.pop()
        if depth >= limit:
            return _trail_path(trail)
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            if isinstance(value, (dict, list)):
                stack.append((value, depth + 1, (trail, key)))
    return None


def _nest(depth: int, leaf: Any) -> Any:
    node = leaf
    for i in range(depth):
        node = {"k": node, "n": 1} if i % 2 else [1, node]
    return node


@pytest.mark.parametrize("depth", [MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 300])
@pytest.mark.parametrize("leaf", [1, "a\nb", {}, [], {"x": None}, [None]])
def test_too_deep_matches_the_walk(depth: int, leaf: Any) -> None:
    record = {"protocolSection": _nest(depth, leaf), "other": [{"a": [1, 2]}]}
    assert too_deep(record) == _walk_depth(record)


@pytest.mark.parametrize("record", [{1: _nest(70, 1)}, {"a": {1, 2}}, {"a": 2**70}, {1: [[[]]]}])
def test_too_deep_handles_what_orjson_refuses(record: Any) -> None:
    """YAML model files may hold non-string keys, sets or big integers: the walk decides."""
    assert too_deep(record) == _walk_depth(record)
