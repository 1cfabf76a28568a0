"""Decoding record text safely: YAML without object tags or alias bombs, JSON with lone surrogates, nesting depth.

Nothing here knows what a record means; :mod:`.containers` splits inputs and asks :mod:`.registry` what each
record is.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from trialexport.diagnostics import Diagnostic, warning

MAX_DEPTH = 64  # nesting of one record; registry records use about 8 levels, serializers stop near 255
MAX_YAML_ALIASES = 100
MAX_YAML_NODES = 1_000_000  # values after alias expansion: a few aliases nested deep still make a bomb


class DecodeError(ValueError):
    """Text that cannot be decoded: ``code`` and one-line message, with line/column when known."""

    def __init__(self, code: str, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.line, self.col = code, message, line, col


def load_yaml(text: str) -> Any:
    """Parse YAML safely: no Python object tags, and a cap on aliases (alias bombs); :class:`DecodeError` if not."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        aliases = 0
        if "*" in text:
            for event in yaml.parse(text, Loader=loader):
                if isinstance(event, yaml.AliasEvent):
                    aliases += 1
                    if aliases > MAX_YAML_ALIASES:
                        raise DecodeError("READ-YAML", f"YAML uses more than {MAX_YAML_ALIASES} aliases "
                                          "(refused as a possible alias bomb)")
        obj = yaml.load(text, Loader=loader)  # a safe loader
        size = _expanded_size(obj, {}) if aliases else 0
        if size < 0:
            message = "YAML alias refers to its own anchor (recursive structure): refused"
            raise DecodeError("READ-YAML", message)
        if size > MAX_YAML_NODES:
            raise DecodeError("READ-YAML", f"YAML aliases expand to more than {MAX_YAML_NODES} values "
                              "(refused as a possible alias bomb)")
        return obj
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        msg = f"malformed YAML: {exc.problem or exc.context}"
        if mark is not None:
            raise DecodeError("READ-YAML", msg, mark.line + 1, mark.column + 1) from None
        raise DecodeError("READ-YAML", msg) from None
    except yaml.YAMLError as exc:
        raise DecodeError("READ-YAML", f"malformed YAML: {exc}") from None
    except RecursionError:
        raise DecodeError("READ-YAML", "YAML nested too deeply") from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def loads_with_surrogates(text: str) -> tuple[Any, list[Diagnostic]]:
    """Parse JSON that escapes lone surrogates (``"\\ud800"``, which orjson refuses) and replace them with U+FFFD.

    Returns ``(None, [])`` when the text is malformed for another reason too.
    """
    import json

    notes: list[Diagnostic] = []
    try:
        return _scrub(json.loads(text), "", notes), notes
    except (ValueError, RecursionError):
        return None, []


def _scrub(node: Any, path: str, notes: list[Diagnostic]) -> Any:
    if isinstance(node, str):
        if _SURROGATE.search(node) is None:
            return node
        bad = ", ".join(sorted({f"U+{ord(c):04X}" for c in _SURROGATE.findall(node)}))
        notes.append(warning("READ-SURROGATE", f"lone surrogate(s) {bad} replaced with U+FFFD", path=path or None))
        return _SURROGATE.sub("\ufffd", node)
    if isinstance(node, dict):
        return {_scrub(k, path, notes): _scrub(v, f"{path}.{k}" if path else str(k), notes) for k, v in node.items()}
    if isinstance(node, list):
        return [_scrub(v, f"{path}[{i}]", notes) for i, v in enumerate(node)]
    return node


def _expanded_size(node: Any, memo: dict[int, int]) -> int:
    """Number of values ``node`` has once aliases are expanded; -1 when a container contains itself."""
    if not isinstance(node, (dict, list)):
        return 1
    key = id(node)
    if key not in memo:
        memo[key] = -1  # in progress: meeting it again below means a cycle (``&a [*a]``)
        total = 1
        for value in node.values() if isinstance(node, dict) else node:
            size = _expanded_size(value, memo)
            if size < 0:
                return -1
            total += size
        memo[key] = total
    return memo[key]


def too_deep(obj: Any, limit: int = MAX_DEPTH) -> str | None:
    """Path of the first value nested deeper than ``limit`` levels in ``obj``, or None (iterative: no recursion).

    Only containers are visited and paths are built only for the answer. Most records are first cleared at C
    speed: in orjson's indented output a value nested ``d`` levels deep starts a line indented ``2 * d`` spaces.
    """
    if not isinstance(obj, (dict, list)):
        return None
    if limit > 0:
        try:
            text = orjson.dumps(obj, option=orjson.OPT_INDENT_2)
        except (TypeError, orjson.JSONEncodeError):  # not JSON data (YAML keys, sets, big ints) or very deep
            pass
        else:
            if b"\n" + b" " * (2 * limit) not in text:
                return None
    stack: list[tuple[Any, int, Any]] = [(obj, 0, None)]  # (container, depth, trail = (parent trail, key))
    while stack:
        node, depth, trail = stack.pop()
        if depth >= limit:
            return _trail_path(trail)
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if isinstance(value, (dict, list)):
                stack.append((value, depth + 1, (trail, key)))
    return None


def _trail_path(trail: Any) -> str:
    parts: list[str] = []
    while trail is not None:
        trail, key = trail
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    path = "".join(reversed(parts)).lstrip(".")
    return path if len(path) <= 80 else path[:60] + "..." + path[-17:]
