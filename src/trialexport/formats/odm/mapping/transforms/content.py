"""Transforms for the study content: codings, description lines, criteria, demographics, arms, Trial Summary."""

from __future__ import annotations

from functools import cache
from typing import Any

from trialexport.cdisc.ts import ts_params
from trialexport.mapkit.durations import iso_duration
from trialexport.mapkit.transforms import Call
from trialexport.mapkit.values import other_names_text

from ..context import Ctx, code_system
from ..tables import alias_context, odm_table, setting
from .base import transform

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


@transform("unmatched_mesh")
def unmatched_mesh(ctx: Ctx, value: tuple[list[dict[str, str]], list[str] | None], call: Call) -> list[Any] | None:
    """MeSH terms no condition is spelled as: one new element each (description and Coding)."""
    meshes, conditions = value
    index = {m["term"].casefold(): i for i, m in enumerate(meshes)}
    used = {index[c.casefold()] for c in conditions or [] if c.casefold() in index}
    out = [{"description": ctx.text(m["term"], f"conditions.condition_mesh[{i}].term"),
            "codings": [mesh_coding_of(m)]} for i, m in enumerate(meshes) if i not in used]
    return out or None


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


def nci(ctx: Ctx, table: str, value: str, path: str) -> Coding | None:
    """The NCI Thesaurus Coding of a registry value (Label: the CDISC submission value), if the crosswalk has one."""
    code = ctx.cdisc_code(table, value, path)
    if not code.nci:
        return None
    out = {"Code": code.nci, "System": code_system("nci")}
    if code.cdisc:
        out["Label"] = code.cdisc
    return out


@transform("nci_coding")
def nci_coding(ctx: Ctx, value: str, call: Call) -> list[Coding] | None:
    """The registry value coded through the row's crosswalk (NCIt)."""
    found = nci(ctx, call.row.codes, value, call.path)
    return [found] if found else None


@transform("other_names")
def other_names(ctx: Ctx, value: list[str], call: Call) -> str:
    """``Other names: A; B``."""
    return other_names_text([ctx.text(o, f"{call.path}[{j}]") for j, o in enumerate(value)])


@transform("arm_labels")
def arm_labels(ctx: Ctx, value: list[str], call: Call) -> str:
    """``Arms: A; B`` (the arm groups an intervention belongs to)."""
    return "Arms: " + "; ".join(ctx.text(a, f"{call.path}[{j}]") for j, a in enumerate(value))


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


@transform("criterion")
def criterion(ctx: Ctx, value: dict[str, str], call: Call) -> dict[str, Any]:
    """A criterion keyed per kind (IN01, IN02 ..., EX01 ...), with its label and IECAT category."""
    kind = criteria_kinds()[value["kind"]]
    number = 1 + sum(1 for c in ctx.plan.kinds.get("Criterion", {}).values() if c["kind"] == value["kind"])
    group = value.get("group")
    return {"key": f"{kind['prefix']}{number:02d}", "kind": value["kind"], "label": kind["label"],
            "iecat": kind["iecat"], "nci": kind["nci"], "text": ctx.text(value["text"], f"{call.path}.text"),
            "group": ctx.text(group, f"{call.path}.group") if group else None}


def _check(comparator: str, limit: dict[str, Any]) -> dict[str, str]:
    return {"comparator": comparator, "value": str(limit["value"]), "unit": limit["unit"]}


@transform("range_check")
def range_check(ctx: Ctx, value: dict[str, Any], call: Call) -> dict[str, str]:
    """A RangeCheck (comparator = argument) on the age in the limit's own unit."""
    return _check(call.row.arg, value)


@transform("range_checks_one_unit")
def range_checks_one_unit(ctx: Ctx, value: dict[str, Any], call: Call) -> list[dict[str, str]] | None:
    """Both age RangeChecks when the limits share one unit (2.0 RangeChecks carry none); else reported."""
    limits = [(c, value[k]) for c, k in (("GE", "minimum_age"), ("LE", "maximum_age")) if value.get(k)]
    units = list(dict.fromkeys(lim["unit"] for _, lim in limits))
    if len(units) > 1:
        ctx.report("MAP-AGE-UNITS", f"age limits in different units ({', '.join(units)}): no 2.0 RangeCheck",
                   "eligibility.minimum_age", "info")
        return None
    return [_check(c, lim) for c, lim in limits] or None


def code_item(value: str, decode: str, nci_code: str) -> dict[str, Any]:
    """A code-list item: CodedValue, Decode and the C-code Alias."""
    return {"value": value, "decode": decode, "aliases": [(alias_context("nci"), nci_code)] if nci_code else []}


@transform("age_units")
def age_units(ctx: Ctx, value: dict[str, Any], call: Call) -> list[dict[str, Any]] | None:
    """The CDISC AGEU terms of the units the age limits use (in order, once each)."""
    units = dict.fromkeys(value[k]["unit"] for k in ("minimum_age", "maximum_age") if value.get(k))
    out = []
    for unit in units:
        code = ctx.cdisc_code(call.row.codes, unit, "eligibility.minimum_age.unit")
        out.append(code_item(code.cdisc or unit, code.cdisc or unit, code.nci))
    return out or None


@transform("sex_codes")
def sex_codes(ctx: Ctx, value: str | None, call: Call) -> list[dict[str, Any]]:
    """The sexes ``dm-sex.csv`` offers for the eligible sex, as code-list items."""
    offered = setting("dm-sex", "eligibility_sex", value or "")["offered"]
    out = []
    for sex in offered.split():
        code = ctx.cdisc_code(call.row.codes, sex, "eligibility.sex")
        out.append(code_item(code.cdisc or sex, sex.capitalize(), code.nci))
    return out


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


@transform("trial_summary")
def trial_summary(ctx: Ctx, value: Any, call: Call) -> dict[str, Any]:
    """The CDISC Trial Summary parameters of this ODM version (they add the model paths they carry)."""
    return {"params": ts_params(ctx, ctx.plan.version)}


@transform("ts_value")
def ts_value(ctx: Ctx, value: Any, call: Call) -> str | None:
    """The first value of the TS parameter ``arg`` (the Trial Summary row runs first)."""
    for p in ctx.plan.one("TrialSummary").get("params", []):
        if p.parmcd == call.row.arg:
            return p.values[0].text
    return None
