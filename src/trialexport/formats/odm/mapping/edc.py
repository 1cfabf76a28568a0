"""Build the version-neutral :class:`Spec`: EDC events/forms (``events.csv``, ``forms.csv``) and TS reference data."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from trialexport.cdisc.ts import TSParam
from trialexport.mapkit import crosswalk

from .context import Ctx, odm_table
from .spec import (
    Alias,
    CodeItem,
    CodeListSpec,
    CriterionSpec,
    EventSpec,
    GroupSpec,
    ItemSpec,
    MethodSpec,
    RangeCheckSpec,
    Spec,
)


@cache
def alias_context(name: str) -> str:
    """The Alias @Context registered under ``name`` in ``mappings/odm/aliases.csv``."""
    return next(r["context"] for r in odm_table("aliases") if r["name"] == name)


@cache
def criteria_kinds() -> dict[str, dict[str, str]]:
    return {r["kind"]: r for r in odm_table("criteria")}


def codelist(oid: str, items: list[CodeItem], static: bool = False) -> CodeListSpec:
    """A code list whose name and CT C-code come from ``mappings/odm/codelists.csv``."""
    row = next(r for r in odm_table("codelists") if r["oid"] == oid)
    return CodeListSpec(oid, row["name"], items, [(alias_context("nci"), row["nci"])] if row["nci"] else [],
                        static=static)


def criteria(ctx: Ctx) -> list[CriterionSpec]:
    """Criteria numbered per kind: IN01, IN02, ..., EX01, ..."""
    counts: dict[str, int] = {}
    out = []
    for i, crit in enumerate(ctx.trial.eligibility.criteria):
        kind = criteria_kinds()[crit.kind]
        counts[crit.kind] = counts.get(crit.kind, 0) + 1
        key = f"{kind['prefix']}{counts[crit.kind]:02d}"
        group = ctx.text(crit.group, f"eligibility.criteria[{i}].group") if crit.group else None
        out.append(CriterionSpec(key, crit.kind, ctx.text(crit.text, f"eligibility.criteria[{i}].text"), group))
    return out


def _yes_no() -> CodeListSpec:
    nci = alias_context("nci")
    items = [CodeItem(c.cdisc, c.cdisc, [(nci, c.nci)]) for c in crosswalk.table("odm/ny").values()]
    return codelist("CL.NY", items, static=True)


def _eligibility(ctx: Ctx, spec: Spec, crits: list[CriterionSpec]) -> list[ItemSpec]:
    if not crits:
        return []
    spec.codelists.setdefault("CL.NY", _yes_no())
    items = []
    for c in crits:
        kind = criteria_kinds()[c.kind]
        aliases: list[Alias] = [(alias_context("iecat"), kind["iecat"]), (alias_context("nci"), kind["nci"])]
        items.append(ItemSpec(f"IT.ELIG.{c.key}", f"{kind['name']} {c.key}", "text", question=c.text,
                              description=c.group, codelist="CL.NY", aliases=aliases))
    for m in odm_table("methods"):
        keys = {k: [c.key for c in crits if c.kind == k] for k in criteria_kinds()}
        desc = m["description"].format(**{k: ", ".join(v) or "none" for k, v in keys.items()})
        spec.methods.append(MethodSpec(m["method_oid"], m["name"], m["type"], desc, [c.key for c in crits],
                                       m["item_oid"].rpartition(".")[2]))
        items.append(ItemSpec(m["item_oid"], m["item_name"], "text", question=m["item_name"], codelist="CL.NY",
                              method=m["method_oid"]))
    return items


def _demographics(ctx: Ctx, spec: Spec, crits: list[CriterionSpec]) -> list[ItemSpec]:
    elig = ctx.trial.eligibility
    age = ItemSpec("IT.DM.AGE", "Age", "integer", question="Age")
    for comparator, limit in (("GE", elig.minimum_age), ("LE", elig.maximum_age)):
        if limit is not None:
            age.range_checks.append(RangeCheckSpec(comparator, str(limit.value), limit.unit))
            if limit.unit not in age.units:
                age.units.append(limit.unit)
    if len(age.units) > 1 and spec.version != "1.3.2":  # 2.0 range checks have no unit of their own
        ctx.report("MAP-AGE-UNITS", f"age limits in different units ({', '.join(age.units)}): no 2.0 RangeCheck",
                   "eligibility.minimum_age", "info")
        age.range_checks = []
    spec.units.extend(u for u in age.units if u not in spec.units)
    items = [age]
    if age.units and spec.version != "1.3.2":  # 1.3.2 uses MeasurementUnitRef instead of a unit item
        unit_items = []
        for unit in age.units:
            code = ctx.cdisc_code("crosswalks/age_unit", unit, "eligibility.minimum_age.unit")
            unit_items.append(CodeItem(code.cdisc or unit, code.cdisc or unit,
                                       [(alias_context("nci"), code.nci)] if code.nci else []))
        spec.codelists["CL.AGEU"] = codelist("CL.AGEU", unit_items)
        age.unit_item = "IT.DM.AGEU"
        items.append(ItemSpec("IT.DM.AGEU", "Age unit", "text", question="Age unit", codelist="CL.AGEU"))
    offered = next(r["offered"] for r in odm_table("dm-sex") if r["eligibility_sex"] == (elig.sex or ""))
    sex_items = []
    for value in offered.split():
        code = ctx.cdisc_code("crosswalks/sex", value, "eligibility.sex")
        sex_items.append(CodeItem(code.cdisc or value, value.capitalize(),
                                  [(alias_context("nci"), code.nci)] if code.nci else []))
    spec.codelists["CL.SEX"] = codelist("CL.SEX", sex_items)
    items.append(ItemSpec("IT.DM.SEX", "Sex", "text", question="Sex", codelist="CL.SEX"))
    return items


def _arm_assignment(ctx: Ctx, spec: Spec, crits: list[CriterionSpec]) -> list[ItemSpec]:
    arms = ctx.trial.arms
    if not arms:
        return []
    items = []
    for i, arm in enumerate(arms):
        aliases: list[Alias] = []
        if arm.type:
            code = ctx.cdisc_code("crosswalks/arm_type", arm.type, f"arms[{i}].type")
            aliases.append((alias_context("registry"), ctx.text(arm.type, f"arms[{i}].type")))
            if code.cdisc:
                aliases.append((alias_context("cdisc"), code.cdisc))
            if code.nci:
                aliases.append((alias_context("nci"), code.nci))
        items.append(CodeItem(arm_code(i), ctx.text(arm.label, f"arms[{i}].label"), aliases))
    spec.codelists["CL.ARM"] = codelist("CL.ARM", items)
    return [ItemSpec("IT.ARM.ARMCD", "Assigned arm", "text", question="Arm assigned", codelist="CL.ARM")]


def arm_code(index: int) -> str:
    """Arm code used as CodedValue and in arm OIDs: ARM01, ARM02, ..."""
    return f"ARM{index + 1:02d}"


CONTENT: dict[str, Callable[[Ctx, Spec, list[CriterionSpec]], list[ItemSpec]]] = {
    "eligibility": _eligibility,
    "demographics": _demographics,
    "arm_assignment": _arm_assignment,
}


def _ts_group(spec: Spec, params: list[TSParam]) -> None:
    """TS parameters as a reference-data item group (ODM 1.3.2): one ItemDef per parameter, values per TSSEQ."""
    nci = alias_context("nci")
    items: list[ItemSpec] = []
    rows: list[list[tuple[str, str]]] = []
    for p in params:
        r = p.row
        base = f"IT.TS.{p.parmcd}"
        aliases = [(alias_context("tsparmcd"), p.parmcd), (nci, r["nci"])]
        if r["codelist"]:
            if r["codelist"] not in spec.codelists:
                spec.codelists[r["codelist"]] = _ts_codelist(r)
            if any(v.coded for v in p.values):
                items.append(ItemSpec(base, r["term"], r["datatype"], description=r["term"], codelist=r["codelist"],
                                      aliases=aliases, static=True))
            if not all(v.coded for v in p.values):
                items.append(ItemSpec(f"{base}.TXT", f"{r['term']} (registry text, no CDISC term)", "text",
                                      description=f"{r['term']}: registry value with no CDISC submission value",
                                      aliases=[(alias_context("tsparmcd"), p.parmcd)], static=True))
        else:
            items.append(ItemSpec(base, r["term"], r["datatype"], description=r["term"], aliases=aliases,
                                  static=True))
        for k, v in enumerate(p.values):
            while len(rows) <= k:
                rows.append([])
            oid = base if (v.coded or not r["codelist"]) else f"{base}.TXT"
            rows[k].append((oid, v.text))
    if items:
        g = odm_table("groups")[0]
        spec.groups.append(GroupSpec(g["group_oid"], g["name"], items, repeating=True, reference=True,
                                     description=g["description"], domain=g["domain"]))
        spec.reference_rows = rows
        spec.reference_group = g["group_oid"]


def _ts_codelist(row: dict[str, str]) -> CodeListSpec:
    nci = alias_context("nci")
    seen: dict[str, CodeItem] = {}
    for c in crosswalk.table(row["codes"]).values():
        if c.cdisc and c.cdisc not in seen:
            seen[c.cdisc] = CodeItem(c.cdisc, c.cdisc, [(nci, c.nci)] if c.nci else [])
    return CodeListSpec(row["codelist"], row["term"], list(seen.values()),
                        [(nci, row["codelist_nci"])] if row["codelist_nci"] else [], static=True)


def build_spec(ctx: Ctx, version: str, ts: list[TSParam] | None = None) -> Spec:
    """EDC metadata for the trial; ``ts`` (ODM 1.3.2) adds the Trial Summary reference-data group."""
    crits = criteria(ctx)
    spec = Spec(version, [], [], {}, [], crits, [])
    forms: dict[str, GroupSpec] = {}
    for row in odm_table("forms"):
        items = CONTENT[row["content"]](ctx, spec, crits)
        if items:
            group = GroupSpec(row["item_group_oid"], row["item_group_name"], items, row["form_oid"], row["name"])
            forms[row["form_oid"]] = group
            spec.groups.append(group)
    for row in odm_table("events"):
        groups = [forms[f] for f in row["forms"].split() if f in forms]
        spec.events.append(EventSpec(row["event_oid"], row["name"], row["type"], row["repeating"], row["epoch_oid"],
                                     row["epoch_name"], groups))
    if ts is not None:
        _ts_group(spec, ts)
    return spec
