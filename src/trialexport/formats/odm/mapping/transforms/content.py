"""Transforms for the study content: codings, description lines, criteria, demographics, arms, Trial Summary."""

from __future__ import annotations

from functools import cache
from typing import Any

from trialexport.cdisc import terminology
from trialexport.cdisc.ts import ts_records
from trialexport.mapkit import crosswalk
from trialexport.mapkit.durations import iso_duration
from trialexport.mapkit.durations import units as duration_units
from trialexport.mapkit.pathexpr import condition_holds, parse_condition
from trialexport.mapkit.transforms import Call

from ..context import Ctx, code_system
from ..tables import alias_context, odm_table
from .base import content_key, transform, unique_key

Coding = dict[str, str]


def mesh_coding_of(term: dict[str, str]) -> Coding:
    """A MeSH descriptor as an ODM 2.0 Coding."""
    return {"Code": term["id"], "System": code_system("mesh"), "Label": term["term"]}


def _by_term(meshes: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {m["term"].casefold(): m for m in meshes}


@transform("mesh_coding")
def mesh_coding(ctx: Ctx, value: tuple[str, list[dict[str, str]] | None], call: Call) -> list[Coding] | None:
    """The MeSH term spelled as the condition (case-insensitively), as a Coding."""
    text, meshes = value
    hit = _by_term(meshes or []).get(text.casefold()) if text else None
    return [mesh_coding_of(hit)] if hit else None


@transform("mesh_codings")
def mesh_codings(ctx: Ctx, value: tuple[dict[str, Any], list[dict[str, str]] | None],
                 call: Call) -> list[Coding] | None:
    """MeSH terms spelled as the intervention's name or one of its other names, as Codings."""
    names, meshes = value
    if not names or not meshes:
        return None
    by_term = _by_term(meshes)
    hits = [by_term.get(n.casefold()) for n in [names.get("name", ""), *names.get("other_names", [])]]
    return [mesh_coding_of(m) for m in hits if m] or None


@transform("labelled_lines")
def labelled_lines(ctx: Ctx, value: list[str], call: Call) -> list[str]:
    """One labelled line per value (``Other name: A``, ``Other name: B``): names may hold any separator."""
    return [f"{call.row.arg}: {ctx.text(v, f'{call.path}[{j}]')}" for j, v in enumerate(value)]


@transform("joined")
def joined(ctx: Ctx, value: list[str], call: Call) -> str:
    """A labelled line: the argument, then the values joined with commas (``Age groups: ADULT, OLDER_ADULT``)."""
    return f"{call.row.arg}: " + ", ".join(value)


@transform("age_line")
def age_line(ctx: Ctx, value: dict[str, Any], call: Call) -> str:
    """``Minimum age: 18 years (P18Y)``."""
    return f"{call.row.arg}: {value['value']} {value['unit']} ({iso_duration(value['value'], value['unit'])})"


@transform("yes_no_line")
def yes_no_line(ctx: Ctx, value: bool, call: Call) -> str:
    """``Accepts healthy volunteers: yes``."""
    return f"{call.row.arg}: {'yes' if value else 'no'}"


@cache
def criteria_kinds() -> dict[str, dict[str, str]]:
    """``criteria.csv`` by model kind."""
    return {r["kind"]: r for r in odm_table("criteria")}


def code_item(value: str, decode: str, nci_code: str) -> dict[str, Any]:
    """A code-list item: CodedValue, Decode and the C-code Alias."""
    return {"value": value, "decode": decode, "aliases": [(alias_context("nci"), nci_code)] if nci_code else []}


@transform("arm_type_aliases")
def arm_type_aliases(ctx: Ctx, value: str, call: Call) -> list[tuple[str, str]]:
    """Aliases of an arm: the registry type, the CDISC arm type and its C-code."""
    code = ctx.cdisc_code(call.row.codes, value, call.path)
    out = [(alias_context("registry"), ctx.text_of(value, call))]
    if code.cdisc:
        out.append((alias_context("cdisc"), code.cdisc))
    if code.nci:
        out.append((alias_context("nci"), code.nci))
    return out


@transform("criterion")
def criterion(ctx: Ctx, value: dict[str, str], call: Call) -> dict[str, Any]:
    """A criterion: its key (kind prefix + a hash of its text), numbered label, IECAT category and condition."""
    kind = criteria_kinds()[value["kind"]]
    counts = ctx.memo.setdefault("criteria per kind", {})  # each call places one criterion: numbered per kind
    number = counts[value["kind"]] = counts.get(value["kind"], 0) + 1
    text = ctx.text(value["text"], f"{call.path}.text")
    key = unique_key(ctx, "Criterion", kind["prefix"] + content_key(text))
    group = value.get("group")
    return {"key": key, "kind": value["kind"], "label": kind["label"].format(number=number), "iecat": kind["iecat"],
            "nci": kind["nci"], "text": text, "group": ctx.text(group, f"{call.path}.group") if group else None,
            "context": kind["context"], "condition": kind["condition"].format(key=key)}


def _exact_factor(big: str, small: str) -> int | None:
    """How many ``small`` units make one ``big`` unit, when that is exact (12 months a year, 7 days a week ...)."""
    exact = {("years", "months"): 12, ("weeks", "days"): 7, ("days", "hours"): 24, ("hours", "minutes"): 60,
             ("weeks", "hours"): 168, ("days", "minutes"): 1440, ("weeks", "minutes"): 10080}
    return 1 if big == small else exact.get((big, small))


def _age_limits(value: dict[str, Any]) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
    """The age limits and the one unit the age is recorded in: the smaller of the limits' units that has a CDISC
    AGEU term (C66781 is not extensible: an age in minutes is recorded in hours)."""
    limits = [(c, value[k]) for c, k in (("GE", "minimum_age"), ("LE", "maximum_age")) if value.get(k)]
    if not limits:
        return [], None
    minutes = {u: int(r["minutes"]) for u, r in duration_units().items()}
    coded = sorted((u for u in minutes if crosswalk.lookup("age_unit", u, "cdisc")), key=lambda u: minutes[u])
    smallest = min((lim["unit"] for _, lim in limits), key=lambda u: minutes[u])
    return limits, next((u for u in coded if minutes[u] >= minutes[smallest]), coded[-1])


@transform("range_checks")
def range_checks(ctx: Ctx, value: dict[str, Any], call: Call) -> list[dict[str, Any]] | None:
    """Soft age RangeChecks, each in its limit's own unit (1.3.2: a MeasurementUnitRef per RangeCheck)."""
    limits, _ = _age_limits(value)
    checks = [{"comparator": c, "value": str(lim["value"]), "unit": lim["unit"], "soft": True} for c, lim in limits]
    return checks or None


@transform("range_checks_one_unit")
def range_checks_one_unit(ctx: Ctx, value: dict[str, Any], call: Call) -> list[dict[str, Any]] | None:
    """Soft age RangeChecks in one unit (the smaller of the limits'): a limit in a larger unit is converted exactly
    where the units allow (years -> months, weeks -> days ...), else rounded to the nearest whole unit
    (durations.csv) and noted (MAP-AGE-UNITS)."""
    limits, unit = _age_limits(value)
    if unit is None:
        return None
    minutes = {u: int(r["minutes"]) for u, r in duration_units().items()}
    out = []
    for comparator, lim in limits:
        factor = _exact_factor(lim["unit"], unit)
        amount = lim["value"] * factor if factor else round(lim["value"] * minutes[lim["unit"]] / minutes[unit])
        if factor is None:
            ctx.report("MAP-AGE-UNITS", f"age limit {lim['value']} {lim['unit']} checked as about {amount} {unit} "
                       "(the other limit is in " + unit + ")", "eligibility", "info")
        out.append({"comparator": comparator, "value": str(amount), "unit": unit, "soft": True})
    return out


@transform("age_unit")
def age_unit(ctx: Ctx, value: dict[str, Any], call: Call) -> dict[str, Any] | None:
    """The unit the age is recorded in (the smaller of the limits'), with its CDISC AGEU term when it has one."""
    _, unit = _age_limits(value)
    if unit is None:
        return None
    code = ctx.cdisc_code(call.row.codes, unit, "eligibility.minimum_age.unit")
    return {**code_item(code.cdisc or unit, code.cdisc or unit.upper(), code.nci), "unit": unit}


@transform("sex_check")
def sex_check(ctx: Ctx, value: str, call: Call) -> dict[str, Any] | None:
    """A soft RangeCheck IN the eligible sex (SEX submission value); none when every sex is eligible."""
    code = ctx.cdisc_code(call.row.codes, value, call.path)
    if value == "ALL" or not code.cdisc:
        return None
    return {"comparator": "IN", "value": code.cdisc, "unit": None, "soft": True}


@cache
def epochs() -> tuple[dict[str, str], ...]:
    """``epochs.csv``."""
    return odm_table("epochs")


@transform("arm_cell")
def arm_cell(ctx: Ctx, value: dict[str, Any], call: Call) -> dict[str, Any] | None:
    """An ODM 2.0 study cell: the arm (its key) in the cell epoch of this study (epochs.csv, by its ``when``)."""
    arm = ctx.plan.kinds.get("ArmCode", {}).get(call.idx)
    for epoch in epochs():
        if epoch["cells"] and condition_holds(ctx.data, parse_condition(epoch["when"])):
            return {"key": arm["key"] if arm else str(call.idx[0] + 1), "name": ctx.text_of(value["label"], call),
                    "epoch": epoch["epoch_oid"].partition(".")[2], "epoch_oid": epoch["epoch_oid"],
                    "epoch_name": epoch["name"]}
    return None


@transform("trial_summary")
def trial_summary(ctx: Ctx, value: Any, call: Call) -> dict[str, Any]:
    """The CDISC Trial Summary records of this ODM version (they add the model paths they carry)."""
    return {"records": ts_records(ctx, ctx.plan.version), "release": terminology.release()}


@transform("ts_value")
def ts_value(ctx: Ctx, value: Any, call: Call) -> str | None:
    """The first value of the TS parameter ``arg`` (the Trial Summary row runs first)."""
    for r in ctx.plan.one("TrialSummary").get("records", []):
        if r.parmcd == call.row.arg and r.value.text:
            return str(r.value.text)
    return None
