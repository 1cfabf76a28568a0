"""ClinicalTrials.gov API v2 study JSON -> trial model, driven by ``mappings/readers/ctgov-v2.csv``.

Every row of the table copies one source path to one model path (optionally through a
named transform). Source fields no row reads are kept in ``Trial.extras`` keyed by their
source path, so a test can prove that nothing populated was dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ..diagnostics import Diagnostic, warning
from ..model import Trial, check_partial_date
from ..pathexpr import compile_path, concrete, prefixes
from ..tables import load_table
from .build import finalize

TABLE = ("readers", "ctgov-v2.csv")

_AGE = re.compile(r"^\s*(\d+)\s+(year|month|week|day|hour|minute)s?\s*$", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class Reject(ValueError):
    """A transform cannot use this value; it goes to ``extras`` with a warning."""


def _partial_date(value: Any) -> str:
    if not isinstance(value, str) or not _DATE.match(value):
        raise Reject(f"expected a date YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
    try:
        check_partial_date(value)
    except ValueError as exc:
        raise Reject(str(exc)) from None
    return value


def _date_struct(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Reject(f"expected an object with 'date' and 'type', got {value!r}")
    unknown = set(value) - {"date", "type"}
    if unknown:
        raise Reject(f"unexpected keys {sorted(unknown)} in date")
    out: dict[str, Any] = {"date": _partial_date(value.get("date"))}
    if value.get("type") is not None:
        out["type"] = value["type"]
    return out


def _age(value: Any) -> dict[str, Any]:
    m = _AGE.match(value) if isinstance(value, str) else None
    if not m:
        raise Reject(f"expected an age like '18 Years', got {value!r}")
    return {"value": int(m.group(1)), "unit": m.group(2).lower() + "s"}


TRANSFORMS = {"": None, "partial_date": _partial_date, "date_struct": _date_struct, "age": _age}


@dataclass(slots=True)
class _Node:
    """The rows under one list level of the source, compiled for a single pass over the record.

    ``scalars``: (source keys, model keys, transform) read at this level;
    ``value_lists``: rows whose source ends in a list of scalars (``conditions[]``);
    ``lists``: nested list levels (``locations[]`` -> its own node).
    """

    scalars: list[tuple[tuple[str, ...], tuple[str, ...], Any]] = field(default_factory=list)
    value_lists: list[tuple[tuple[str, ...], tuple[str, ...], Any]] = field(default_factory=list)
    lists: dict[tuple[tuple[str, ...], tuple[str, ...]], _Node] = field(default_factory=dict)


def _split(path: str) -> list[tuple[str, ...]]:
    """``a.b[].c.d[]`` -> ``[("a", "b"), ("c", "d"), ()]``: key runs separated by list levels."""
    runs: list[tuple[str, ...]] = [()]
    for key, is_list in compile_path(path):
        runs[-1] += (key,)
        if is_list:
            runs.append(())
    return runs


@cache
def _compiled() -> tuple[_Node, frozenset[str], frozenset[str], dict[str, str]]:
    root = _Node()
    patterns = set()
    prefix_set: set[str] = set()
    model_to_source: dict[str, str] = {}
    for row in load_table(*TABLE):
        source, model, transform = row["source"], row["model"], TRANSFORMS[row["transform"]]
        patterns.add(prefixes(source)[-1])
        prefix_set.update(prefixes(source))
        model_to_source[model] = source
        src_runs, mod_runs = _split(source), _split(model)
        if len(src_runs) != len(mod_runs):
            raise ValueError(f"{TABLE}: {source} and {model} have different list depths")
        node = root
        for depth in range(len(src_runs) - 1):
            last = depth == len(src_runs) - 2 and not src_runs[-1]
            if last:  # a list of scalars
                node.value_lists.append((src_runs[depth], mod_runs[depth], transform))
                break
            node = node.lists.setdefault((src_runs[depth], mod_runs[depth]), _Node())
        else:
            node.scalars.append((src_runs[-1], mod_runs[-1], transform))
    return root, frozenset(patterns), frozenset(prefix_set), model_to_source


def _get(obj: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _put(target: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def _apply(node: _Node, src: Any, out: dict[str, Any], where: str, extras: dict[str, Any],
           diags: list[Diagnostic]) -> None:
    """Copy every value of ``node``'s rows from ``src`` into ``out`` (one pass, recursing into lists)."""
    for skeys, mkeys, transform in node.scalars:
        value = _get(src, skeys)
        if value is None:
            continue
        if transform is not None:
            try:
                value = transform(value)
            except Reject as exc:
                _reject(where + ".".join(skeys), value, exc, extras, diags)
                continue
        _put(out, mkeys, value)
    for skeys, mkeys, transform in node.value_lists:
        items = _get(src, skeys)
        if isinstance(items, list):
            _put(out, mkeys, [transform(v) if transform else v for v in items])
    for (skeys, mkeys), child in node.lists.items():
        items = _get(src, skeys)
        if not isinstance(items, list):
            continue
        existing = _get(out, mkeys)
        target = existing if isinstance(existing, list) else []
        if not isinstance(existing, list):
            _put(out, mkeys, target)
        prefix = where + ".".join(skeys)
        for i, item in enumerate(items):
            while len(target) <= i:
                target.append({})
            _apply(child, item, target[i], f"{prefix}[{i}].", extras, diags)


def _reject(key: str, value: Any, exc: Reject, extras: dict[str, Any], diags: list[Diagnostic]) -> None:
    extras[key] = value
    diags.append(warning("READ-VALUE", f"{exc}; kept in extras, not in the model", path=key))


def source_path(model_path: str) -> str:
    """The source path a model path was read from (``locations[3].zip`` -> ``...locations[3].zip``)."""
    _root, _p, _s, model_to_source = _compiled()
    indices = tuple(int(i) for i in re.findall(r"\[(\d+)\]", model_path))
    norm = re.sub(r"\[\d+\]", "[]", model_path)
    for model, source in model_to_source.items():
        if norm == model or norm.startswith(model + "."):
            return concrete(source, indices[: source.count("[]")]) + norm[len(model):]
    return model_path


def study_to_trial(study: dict[str, Any]) -> tuple[Trial | None, list[Diagnostic]]:
    """Map one API v2 study object to a Trial; diagnostics carry source paths."""
    root, patterns, prefix_set, _m2s = _compiled()
    data: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    diags: list[Diagnostic] = []
    _apply(root, study, data, "", extras, diags)
    _collect_unread(study, "", "", patterns, prefix_set, extras)
    if extras:
        data["extras"] = extras
    trial, more = finalize(data, strict=False, origin=source_path)
    return trial, diags + more


def _collect_unread(
    node: Any, norm: str, path: str, patterns: frozenset[str], prefix_set: frozenset[str], extras: dict[str, Any]
) -> None:
    """Put every populated subtree that no table row reads into ``extras``."""
    if norm in patterns:
        return
    if norm and norm not in prefix_set:
        if node not in (None, "", [], {}):
            extras[path] = node
        return
    if isinstance(node, dict):
        for key, value in node.items():
            _collect_unread(
                value, f"{norm}.{key}" if norm else key, f"{path}.{key}" if path else key, patterns, prefix_set, extras
            )
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _collect_unread(value, norm + "[]", f"{path}[{i}]", patterns, prefix_set, extras)
    elif node not in (None, ""):
        extras[path] = node


def is_study(obj: Any) -> bool:
    """True when ``obj`` looks like an API v2 study (has a ``protocolSection``)."""
    return isinstance(obj, dict) and isinstance(obj.get("protocolSection"), dict)
