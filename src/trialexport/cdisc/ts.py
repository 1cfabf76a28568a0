"""CDISC Trial Summary (TS) parameters from ``mappings/cdisc/ts-parameters.csv``: named transforms over model paths.

Format-neutral: ODM writes them as reference data (1.3.2) or StudyParameters (2.0); SDTM TS datasets can use them too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from trialexport.mapkit import crosswalk
from trialexport.mapkit.crosswalk import Code
from trialexport.mapkit.durations import iso_duration
from trialexport.mapkit.pathexpr import concrete, condition_holds, iter_values, parse_condition
from trialexport.mapkit.tables import load_table

from .context import CdiscContext as Ctx


@dataclass(frozen=True, slots=True)
class TSValue:
    """One TS value: its text (submission value when coded) and the code it resolved to, if any."""

    text: str
    code: Code | None = None

    @property
    def coded(self) -> bool:
        return self.code is not None and bool(self.code.cdisc)


@dataclass(frozen=True, slots=True)
class TSParam:
    row: dict[str, str]
    values: tuple[TSValue, ...]

    @property
    def parmcd(self) -> str:
        return self.row["tsparmcd"]


Raw = Iterator[tuple[str, Any]]  # (concrete model path, value)
Transform = Callable[[Ctx, dict[str, str], Raw], list[TSValue]]


def _text(ctx: Ctx, row: dict[str, str], raw: Raw) -> list[TSValue]:
    return [TSValue(ctx.text(v, p)) for p, v in raw if v != ""]


def _text_distinct(ctx: Ctx, row: dict[str, str], raw: Raw) -> list[TSValue]:
    return list(dict.fromkeys(_text(ctx, row, raw)))


def _integer(ctx: Ctx, row: dict[str, str], raw: Raw) -> list[TSValue]:
    return [TSValue(str(int(v))) for _, v in raw]


def _count(ctx: Ctx, row: dict[str, str], raw: Raw) -> list[TSValue]:
    return [TSValue(str(len(v))) for _, v in raw if v]


def _date(ctx: Ctx, row: dict[str, str], raw: Raw) -> list[TSValue]:
    return [TSValue(v) for _, v in raw]  # model dates are already YYYY[-MM[-DD]]; never padded


def _coded_value(ctx: Ctx, row: dict[str, str], path: str, value: str) -> TSValue:
    code = ctx.cdisc_code(row["codes"], value, path)
    return TSValue(code.cdisc or ctx.text(value, path), code)


def _coded(ctx: Ctx, row: dict[str, str], raw: Raw) -> list[TSValue]:
    return [_coded_value(ctx, row, p, v) for p, v in raw]


def _coded_distinct(ctx: Ctx, row: dict[str, str], raw: Raw) -> list[TSValue]:
    return list(dict.fromkeys(_coded(ctx, row, raw)))


def _coded_listed(ctx: Ctx, row: dict[str, str], raw: Raw) -> list[TSValue]:
    """Only values the crosswalk lists (e.g. comparator arm types for TCNTRL), distinct."""
    table = crosswalk.table(row["codes"])
    return list(dict.fromkeys(_coded_value(ctx, row, p, v) for p, v in raw if v in table))


def _boolean(ctx: Ctx, row: dict[str, str], raw: Raw) -> list[TSValue]:
    return [_coded_value(ctx, row, p, "true" if v else "false") for p, v in raw]


def _phase(ctx: Ctx, row: dict[str, str], raw: Raw) -> list[TSValue]:
    items = list(raw)
    if not items:
        return []
    path = items[0][0].rsplit("[", 1)[0]
    return [_coded_value(ctx, row, path, "|".join(str(v) for _, v in items))]


def _study_type(ctx: Ctx, row: dict[str, str], raw: Raw) -> list[TSValue]:
    """Study type; the transform argument (a crosswalk pseudo value) replaces it for patient registries."""
    pseudo = row["transform"].partition(":")[2]
    registry = bool(ctx.trial.design.patient_registry) and bool(pseudo)
    if ctx.trial.design.patient_registry is not None:
        ctx.carried.add("design.patient_registry")
    return [_coded_value(ctx, row, p, pseudo if registry else v) for p, v in raw]


def _iso_duration(ctx: Ctx, row: dict[str, str], raw: Raw) -> list[TSValue]:
    return [TSValue(iso_duration(v["value"], v["unit"])) for _, v in raw]


TRANSFORMS: dict[str, Transform] = {
    "text": _text,
    "text_distinct": _text_distinct,
    "integer": _integer,
    "count": _count,
    "date": _date,
    "coded": _coded,
    "coded_distinct": _coded_distinct,
    "coded_listed": _coded_listed,
    "boolean": _boolean,
    "phase": _phase,
    "study_type": _study_type,
    "iso_duration": _iso_duration,
}


@cache
def ts_rows(version: str) -> tuple[dict[str, str], ...]:
    """TS parameter rows carried by an ODM version."""
    return tuple(r for r in load_table("cdisc", "ts-parameters.csv") if version in r["versions"].split())


def ts_params(ctx: Ctx, version: str) -> list[TSParam]:
    """The TS parameters with at least one value, in table order; ``ctx.carried`` gets the model paths they read
    (source and ``when`` condition; a count of a list carries none of its fields)."""
    data = ctx.data
    out = []
    for row in ts_rows(version):
        cond = parse_condition(row["when"])
        if not condition_holds(data, cond):
            continue
        src = row["source"]
        raw = ((concrete(src, idx), v) for idx, v in iter_values(data, src))
        values = TRANSFORMS[row["transform"].partition(":")[0]](ctx, row, raw)
        if values:
            out.append(TSParam(row, tuple(values)))
            if row["transform"] != "count":
                ctx.carried.add(src.removesuffix("[]"))
            if cond is not None:
                ctx.carried.add(cond[0])
    return out
