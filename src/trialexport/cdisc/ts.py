"""CDISC Trial Summary (SDTM TS) records from ``mappings/cdisc/ts-parameters.csv``: one record per parameter value.

Format-neutral: ODM 1.3.2 writes the records as TS reference data, ODM 2.0 as StudyParameters, and the SDTM TS
dataset can take them as they are (TSSEQ, TSGRPID, TSPARMCD, TSPARM, TSVAL, TSVALNF, TSVALCD, TSVCDREF, TSVCDVER).
Rows run in table order; a parameter ending in ``?`` is a fallback (only when the parameter has no value yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, partial
from typing import Any

from trialexport.mapkit.pathexpr import Condition, condition_holds, iter_values, parse_condition
from trialexport.mapkit.sources import Source, carried_leaves, parse_source, read_whole, select
from trialexport.mapkit.tables import load_table
from trialexport.mapkit.transforms import Call, Transform

from .context import CdiscContext as Ctx
from .ts_transforms import TRANSFORMS, TSValue


@dataclass(frozen=True, slots=True)
class TSRow:
    """One row of ``ts-parameters.csv``, compiled."""

    parmcd: str
    fallback: bool
    nci: str
    term: str
    sources: tuple[Source, ...]
    when: Condition | None
    transform: str
    arg: str
    codes: str
    codelist_nci: str
    reference: str
    group: str
    versions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TSRecord:
    """One TS record (SDTM TS variables; STUDYID and DOMAIN are the writer's), and what ODM 2.0 codes it with."""

    seq: int  # TSSEQ: 1, 2, ... within the parameter
    group: str  # TSGRPID
    parmcd: str  # TSPARMCD
    parm: str  # TSPARM
    parm_code: str  # C-code of the TSPARMCD term
    value: TSValue  # TSVAL, TSVALNF, TSVALCD, TSVCDREF, TSVCDVER and the registry value kept outside CT
    codelist: str  # C-code of the CT codelist of the value ("" if none)


@cache
def _all_rows() -> tuple[TSRow, ...]:
    out = []
    for r in load_table("cdisc", "ts-parameters.csv"):
        name, _, arg = r["transform"].partition(":")
        out.append(TSRow(r["tsparmcd"].rstrip("?"), r["tsparmcd"].endswith("?"), r["nci"], r["term"],
                         parse_source(r["source"]), parse_condition(r["when"]), name, arg, r["codes"],
                         r["codelist_nci"], r["reference"], r["group"], tuple(r["versions"].split())))
    return tuple(out)


@cache
def ts_rows(version: str) -> tuple[TSRow, ...]:
    """The TS rows carried by an ODM version (``versions`` column), in table order (one object per table row,
    whatever the version: its values are computed once per study, :meth:`CdiscContext.once`)."""
    return tuple(r for r in _all_rows() if version in r.versions)


@cache
def _steps(version: str) -> tuple[tuple[TSRow, Transform, bool, frozenset[str]], ...]:
    out = []
    for row in ts_rows(version):
        leaves = carried_leaves(row.sources)
        if row.when is not None and "[]" not in row.when[0]:  # an item-level condition (DERIVED) only selects
            leaves |= {row.when[0]}
        out.append((row, TRANSFORMS.get(row.transform), row.transform in TRANSFORMS.aggregate, leaves))
    return tuple(out)


def _item_condition(row: TSRow) -> tuple[str, Condition] | None:
    """``(list prefix, condition)`` when the row's ``when`` tests a field of each item of its source list."""
    if row.when is None or not row.sources or "[]" not in row.when[0]:
        return None
    prefix = row.when[0].rsplit("[]", 1)[0] + "[]"
    return (prefix, row.when) if row.sources[0].path.startswith(prefix) else None


def _holds_for_item(data: Any, cond: Condition, idx: tuple[int, ...]) -> bool:
    path, op, expected = cond
    found = {i: v for i, v in iter_values(data, path)}
    got = found.get(idx[: path.count("[]")])
    text = "" if got is None else str(got)
    return (text == expected) == (op == "=")


_NO_SOURCE: list[tuple[tuple[int, ...], Any]] = [((), None)]


def _values(ctx: Ctx, row: TSRow, fn: Transform, aggregate: bool) -> list[tuple[str, TSValue]]:
    """``(TSGRPID, value)`` of one row."""
    data = ctx.data
    item_cond = _item_condition(row)
    if row.when is not None and item_cond is None and not condition_holds(data, row.when):
        return []
    first = row.sources[0] if row.sources else None
    items = _NO_SOURCE if first is None else iter_values(data, first.path)
    if first is not None and item_cond is not None:
        items = [(idx, v) for idx, v in items if _holds_for_item(data, item_cond[1], idx)]
    if not items:
        return []
    if aggregate:
        items = [((), [select(v, first.fields) for _, v in items] if first else None)]
    others = tuple(read_whole(data, s) for s in row.sources[1:])
    call = Call(row, (), first.path if first else "")
    out: list[tuple[str, TSValue]] = []
    for idx, value in items:
        if first is not None and not aggregate:
            value = select(value, first.fields)
        if others:
            value = (value, *others)
        elif first is not None and value in (None, "", [], {}):
            continue
        call.idx = idx
        found = fn(ctx, value, call)
        group = row.group.format(n=idx[0] + 1) if row.group and idx else ""
        for v in found if isinstance(found, list) else [found] if found is not None else []:
            out.append((group, v))
    return out


_ROW_SETS: dict[tuple[TSRow, ...], int] = {}  # each distinct row set (in table order) -> a number naming it


@cache
def _records_key(version: str) -> tuple[str, int]:
    """What the records of ``version`` depend on besides the trial: its rows. Versions with the same rows get the
    same key (ODM 1.3.2 and 2.0 carry the same parameters)."""
    rows = ts_rows(version)
    return "ts-records", _ROW_SETS.setdefault(rows, len(_ROW_SETS))


def ts_records(ctx: Ctx, version: str) -> list[TSRecord]:
    """The TS records of the trial in table order (TSSEQ per parameter); ``ctx.carried`` gets the model paths
    they carry (sources and conditions; ``{}`` sources, such as the list a count reads, carry nothing).

    Worked out once per record for every version with the same rows (:meth:`CdiscContext.once`: what it reported
    and carried is replayed): :func:`_records` reads nothing but the trial's data and the rows."""
    return list(ctx.once(_records_key(version), partial(_records, ctx, version)))


def _records(ctx: Ctx, version: str) -> list[TSRecord]:
    found: dict[str, list[tuple[TSRow, str, TSValue]]] = {}
    for row, fn, aggregate, leaves in _steps(version):
        if row.fallback and found.get(row.parmcd):
            continue
        values = ctx.once(("ts", id(row)), partial(_values, ctx, row, fn, aggregate))
        if not values:
            continue
        have = found.setdefault(row.parmcd, [])
        known = {(v.text, v.null_flavor, v.code, g) for _, g, v in have}  # another row's values are not repeated
        have.extend((row, g, v) for g, v in values if (v.text, v.null_flavor, v.code, g) not in known)
        if any(v.text or v.registry for _, v in values):  # a null flavour alone carries no model value
            ctx.carried |= leaves
    out = []
    for parmcd, records in found.items():
        for seq, (row, group, value) in enumerate(records, 1):
            out.append(TSRecord(seq, group, parmcd, row.term, row.nci, value, row.codelist_nci))
    return out

