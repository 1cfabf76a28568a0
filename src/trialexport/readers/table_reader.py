"""A registry-shaped JSON record -> trial model, driven by one table of ``mappings/readers/`` (e.g. ``ctgov-v2``).

Every row of the table copies one source path to one model path (optionally through a named transform of
:data:`TRANSFORMS`). Source fields no row reads are kept in ``Trial.extras`` keyed by their source path, so a test
can prove that nothing populated was dropped. A second registry-shaped source is a new table, not a new module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from trialexport.diagnostics import Diagnostic, warning
from trialexport.mapkit.pathexpr import compile_path, concrete
from trialexport.mapkit.tables import load_table
from trialexport.mapkit.values import mesh_id
from trialexport.model import Trial, check_partial_date

from .build import finalize

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


def _mesh_id(value: Any) -> str:
    if not isinstance(value, str):
        raise Reject(f"expected a MeSH id (text), got {value!r}")
    return mesh_id(value)


TRANSFORMS = {"": None, "partial_date": _partial_date, "date_struct": _date_struct, "age": _age, "mesh_id": _mesh_id}


@dataclass(slots=True)
class _Key:
    """The rows reading one source key at one list level (the record, or an item of a list).

    ``rows`` read the value found there (``(table order, model keys, transform)``), ``values`` copy it when
    it is a list of scalars, ``lists`` visit its items with their own tree (``(table order, model keys, tree)``),
    ``deeper`` reads keys inside it. A source key no tree has is unread: it goes to ``extras``.
    """

    rows: list[tuple[int, tuple[str, ...], Any]] = field(default_factory=list)
    values: list[tuple[tuple[str, ...], Any]] = field(default_factory=list)
    lists: list[tuple[int, tuple[str, ...], dict[str, _Key]]] = field(default_factory=list)
    deeper: dict[str, _Key] = field(default_factory=dict)


def _split(path: str) -> list[tuple[str, ...]]:
    """``a.b[].c.d[]`` -> ``[("a", "b"), ("c", "d"), ()]``: key runs separated by list levels."""
    runs: list[tuple[str, ...]] = [()]
    for key, is_list in compile_path(path):
        runs[-1] += (key,)
        if is_list:
            runs.append(())
    return runs


def _at(tree: dict[str, _Key], keys: tuple[str, ...], table: str) -> _Key:
    if not keys:
        raise ValueError(f"readers/{table}.csv: a source path has a list directly inside a list")
    for key in keys[:-1]:
        tree = tree.setdefault(key, _Key()).deeper
    return tree.setdefault(keys[-1], _Key())


@cache
def _compiled(table: str) -> tuple[dict[str, _Key], dict[str, str]]:
    """The rows of ``mappings/readers/<table>.csv`` as one tree per list level, and model path -> source path."""
    root: dict[str, _Key] = {}
    model_to_source: dict[str, str] = {}
    lists: dict[tuple[int, tuple[str, ...], tuple[str, ...]], dict[str, _Key]] = {}
    for order, row in enumerate(load_table("readers", f"{table}.csv")):
        source, model, transform = row["source"], row["model"], TRANSFORMS[row["transform"]]
        model_to_source[model] = source
        src_runs, mod_runs = _split(source), _split(model)
        if len(src_runs) != len(mod_runs):
            raise ValueError(f"readers/{table}.csv: {source} and {model} have different list depths")
        tree = root
        for depth in range(len(src_runs) - 1):
            skeys, mkeys = src_runs[depth], mod_runs[depth]
            if depth == len(src_runs) - 2 and not src_runs[-1]:  # a list of scalars
                _at(tree, skeys, table).values.append((mkeys, transform))
                break
            key = (id(tree), skeys, mkeys)
            if key not in lists:
                lists[key] = {}
                _at(tree, skeys, table).lists.append((order, mkeys, lists[key]))
            tree = lists[key]
        else:
            _at(tree, src_runs[-1], table).rows.append((order, mod_runs[-1], transform))
    _check(root, table)
    return root, model_to_source


def _check(tree: dict[str, _Key], table: str) -> None:
    """What one pass needs: a value read whole is not read inside too, a source list feeds one model list."""
    for key, at in tree.items():
        if (at.rows and (at.deeper or at.values or at.lists)) or len(at.lists) + bool(at.values) > 1:
            raise ValueError(f"readers/{table}.csv: rows read {key!r} in ways one pass cannot tell apart")
        _check(at.deeper, table)
        for _order, _mkeys, child in at.lists:
            _check(child, table)


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


@dataclass(slots=True)
class _Read:
    """What one pass over a record set aside: rejected values (with their table-order key) and unread ones."""

    rejected: list[tuple[tuple[tuple[int, ...], ...], str, Any, Reject]] = field(default_factory=list)
    unread: dict[str, Any] = field(default_factory=dict)


def _apply(tree: dict[str, _Key], src: dict[str, Any], out: dict[str, Any], path: str,
           order: tuple[tuple[int, ...], ...], seen: _Read) -> None:
    """Copy what the rows of ``tree`` read from ``src`` (at source ``path``) into ``out``; note what they do not.

    One pass in document order. ``order`` sorts rejected values as if rows were applied one after the other.
    """
    for key, value in src.items():
        at = tree.get(key)
        if at is None:
            if value not in (None, "", [], {}):
                seen.unread[f"{path}.{key}" if path else key] = value
        elif value is None:
            continue
        elif at.rows:  # read whole
            for row, mkeys, transform in at.rows:
                if transform is not None:
                    try:
                        _put(out, mkeys, transform(value))
                    except Reject as exc:
                        seen.rejected.append((order + ((0, row),), f"{path}.{key}" if path else key, value, exc))
                else:
                    _put(out, mkeys, value)
        elif isinstance(value, dict):
            _apply(at.deeper, value, out, f"{path}.{key}" if path else key, order, seen)
        elif isinstance(value, list):
            here = f"{path}.{key}" if path else key
            if at.values:
                for mkeys, transform in at.values:
                    _put(out, mkeys, [transform(v) if transform else v for v in value])
            elif at.lists:
                [(row, mkeys, child)] = at.lists  # one model list per source list (_check)
                _items(child, value, out, mkeys, here, order, row, seen)
            else:
                _unread_items(value, here, seen)
        elif value != "":
            seen.unread[f"{path}.{key}" if path else key] = value


def _items(tree: dict[str, _Key], items: list[Any], out: dict[str, Any], mkeys: tuple[str, ...], path: str,
           order: tuple[tuple[int, ...], ...], row: int, seen: _Read) -> None:
    existing = _get(out, mkeys)
    target = existing if isinstance(existing, list) else []
    if not isinstance(existing, list):
        _put(out, mkeys, target)
    for i, item in enumerate(items):
        while len(target) <= i:
            target.append({})
        if isinstance(item, dict):
            _apply(tree, item, target[i], f"{path}[{i}]", order + ((1, row, i),), seen)
        elif isinstance(item, list):
            _unread_items(item, f"{path}[{i}]", seen)
        elif item is not None and item != "":
            seen.unread[f"{path}[{i}]"] = item


def _unread_items(items: list[Any], path: str, seen: _Read) -> None:
    for i, item in enumerate(items):
        if item not in (None, "", [], {}):
            seen.unread[f"{path}[{i}]"] = item


def _reject(key: str, value: Any, exc: Reject, extras: dict[str, Any], diags: list[Diagnostic]) -> None:
    extras[key] = value
    diags.append(warning("READ-VALUE", f"{exc}; kept in extras, not in the model", path=key))


def source_path(table: str, model_path: str) -> str:
    """The source path a model path was read from (``locations[3].zip`` -> ``...locations[3].zip``)."""
    _root, model_to_source = _compiled(table)
    indices = tuple(int(i) for i in re.findall(r"\[(\d+)\]", model_path))
    norm = re.sub(r"\[\d+\]", "[]", model_path)
    for model, source in model_to_source.items():
        if norm == model or norm.startswith(model + "."):
            return concrete(source, indices[: source.count("[]")]) + norm[len(model):]
    return model_path


def read_with_table(table: str, record: dict[str, Any]) -> tuple[Trial | None, list[Diagnostic]]:
    """Map one record with the rows of ``mappings/readers/<table>.csv``; diagnostics carry source paths.

    Source fields no row reads go to ``extras`` (after the rejected values), in document order.
    """
    root, _m2s = _compiled(table)
    data: dict[str, Any] = {}
    seen = _Read()
    _apply(root, record, data, "", (), seen)
    extras: dict[str, Any] = {}
    diags: list[Diagnostic] = []
    for _order, key, value, exc in sorted(seen.rejected, key=lambda r: r[0]):
        _reject(key, value, exc, extras, diags)
    extras.update(seen.unread)
    if extras:
        data["extras"] = extras
    trial, more = finalize(data, strict=False, origin=lambda path: source_path(table, path))
    return trial, diags + more
