"""ClinicalTrials.gov API v2 study JSON -> trial model, driven by ``mappings/readers/ctgov-v2.csv``.

Every row of the table copies one source path to one model path (optionally through a
named transform). Source fields no row reads are kept in ``Trial.extras`` keyed by their
source path, so a test can prove that nothing populated was dropped.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from ..diagnostics import Diagnostic, warning
from ..model import Trial, check_partial_date
from ..pathexpr import concrete, iter_values, prefixes, set_value
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


@cache
def _compiled() -> tuple[list[tuple[str, str, Any]], frozenset[str], frozenset[str]]:
    rows = []
    patterns = set()
    prefix_set: set[str] = set()
    for row in load_table(*TABLE):
        rows.append((row["source"], row["model"], TRANSFORMS[row["transform"]]))
        patterns.add(prefixes(row["source"])[-1])
        prefix_set.update(prefixes(row["source"]))
    return rows, frozenset(patterns), frozenset(prefix_set)


def study_to_trial(study: dict[str, Any]) -> tuple[Trial | None, list[Diagnostic]]:
    """Map one API v2 study object to a Trial; diagnostics carry source paths."""
    rows, patterns, prefix_set = _compiled()
    data: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    origin: dict[str, str] = {}
    diags: list[Diagnostic] = []
    for source, model, transform in rows:
        for idx, value in iter_values(study, source):
            if transform is not None:
                try:
                    value = transform(value)
                except Reject as exc:
                    key = concrete(source, idx)
                    extras[key] = value
                    diags.append(warning("READ-VALUE", f"{exc}; kept in extras, not in the model", path=key))
                    continue
            set_value(data, model, idx, value)
            if idx:
                origin[concrete(model, idx)] = concrete(source, idx)
            else:
                origin[model] = source
    _collect_unread(study, "", "", patterns, prefix_set, extras)
    if extras:
        data["extras"] = extras
    trial, more = finalize(data, strict=False, origin=origin)
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
