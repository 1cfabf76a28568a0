"""Run the ODM mapping rows of one version over a trial and fill the :class:`~.plan.Plan`.

Rows run in table order. A row's first source drives iteration (one call per list item, with its indices); further
sources are read whole; the transform turns the value into plan content; the target places it (see
:class:`~.tables.Target`). A row whose transform gives a value *carries* the model paths it read: coverage is what
actually ran for this trial, so a row switched off (an empty target cell) shows its field as not carried.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from trialexport.mapkit.pathexpr import condition_holds, iter_values
from trialexport.mapkit.sources import carried_leaves, read_whole, select
from trialexport.mapkit.transforms import Call, Transform

from . import tables
from .context import Ctx
from .plan import Key
from .transforms import TRANSFORMS

_NO_SOURCE: list[tuple[Key, Any]] = [((), None)]


@cache
def _steps(version: str) -> tuple[tuple[tables.Row, Transform, frozenset[str]], ...]:
    """Each row with its transform and the model paths it carries when it places a value."""
    return tuple((row, TRANSFORMS.get(row.transform), carried_leaves(row.sources)) for row in tables.rows(version))


def _empty(value: Any) -> bool:
    return value is None or (not value and isinstance(value, (str, list, dict)))


def run(ctx: Ctx, version: str) -> None:
    """Fill ``ctx.plan`` with every row of ``version``; ``ctx.carried`` gets the model paths of the rows that ran."""
    data = ctx.data
    for row, fn, leaves in _steps(version):
        if row.when is not None and not condition_holds(data, row.when):
            continue
        target = row.target
        first = row.sources[0] if row.sources else None
        items: list[tuple[Key, Any]] = _NO_SOURCE if first is None else iter_values(data, first.path)
        if not items:
            continue
        others = tuple(read_whole(data, s) for s in row.sources[1:])
        fields = first.fields if first is not None else ()
        call = Call(row, (), first.path if first else "")
        placed = False
        for idx, value in items:
            if first is not None:
                if fields:
                    value = select(value, fields)
                if others:
                    value = (value, *others)
                    if all(v is None for v in value):
                        continue
                elif _empty(value) and not first.structure:  # an empty item still is an item (a site)
                    continue
            if target.only_if_unset and _is_set(ctx, target, idx):
                continue
            call.idx = idx
            out = fn(ctx, value, call)
            if out is not None:
                _place(ctx, target, idx, out)
                placed = True
        if placed and leaves:
            ctx.carried |= leaves


def _key(target: tables.Target, idx: Key) -> Key:
    return idx if target.mode == "[]" else ()


def _is_set(ctx: Ctx, target: tables.Target, idx: Key) -> bool:
    if target.mode == "[+]":
        return ctx.plan.has(target.kind)
    el = ctx.plan.kinds.get(target.kind, {}).get(_key(target, idx))
    return el is not None and not _empty(el.get(target.field))


def _place(ctx: Ctx, target: tables.Target, idx: Key, value: Any) -> None:
    plan = ctx.plan
    if target.mode == "[+]":  # new elements: one dict or a list of dicts
        for fields in value if isinstance(value, list) else [value]:
            plan.element(target.kind, plan.next_key(target.kind)).update(fields)
        return
    found = plan.kinds.get(target.kind)
    if found is None:
        found = plan.kinds[target.kind] = {}
    key = idx if target.mode == "[]" else ()
    el = found.get(key)
    if el is None:
        el = found[key] = {}
    if not target.field:
        el.update(value)
    elif target.append:
        el.setdefault(target.field, []).extend(value if isinstance(value, list) else [value])
    else:
        el[target.field] = value
