"""The Trial Summary records (:mod:`trialexport.cdisc.ts`) as ODM: 1.3.2 reference data in the SDTM TS structure
(``ts-variables.csv``, ``groups.csv``), with their definitions in a MetaDataVersion of their own."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from trialexport.cdisc.ts import TSRecord

from .edc import codelist_spec
from .plan import Plan
from .spec import CodeListSpec, GroupSpec, ItemSpec
from .tables import odm_table


@cache
def variables() -> tuple[dict[str, str], ...]:
    """``ts-variables.csv``: the TS variables in SDTMIG order."""
    return odm_table("ts-variables")


def records(plan: Plan) -> list[TSRecord]:
    """The TS records the plan holds."""
    return list(plan.one("TrialSummary").get("records", []))


def reference_group(plan: Plan) -> tuple[GroupSpec, dict[str, CodeListSpec]]:
    """The TS item group (IsReferenceData) and its code lists."""
    g = odm_table("groups")[0]
    items = []
    codelists: dict[str, CodeListSpec] = {}
    for v in variables():
        sds = v["variable"] if v["sdtm"] else None  # REGVAL is ours, not an SDTM variable
        items.append(ItemSpec(v["oid"], v["variable"], v["datatype"], description=v["label"],
                              codelist=v["codelist"] or None, static=True, sds=sds,
                              key_sequence=int(v["key"]) if v["key"] else None))
        if v["codelist"]:
            codelists[v["codelist"]] = _used(codelist_spec(plan, v["codelist"]), v["variable"], plan)
    return GroupSpec(g["group_oid"], g["name"], items, repeating=True, reference=True, description=g["description"],
                     domain=g["domain"]), codelists


def _used(cl: CodeListSpec, variable: str, plan: Plan) -> CodeListSpec:
    """TSPARMCD / TSPARM code lists with the parameters this document's records use (in table order); others whole."""
    attribute = {"TSPARMCD": "parmcd", "TSPARM": "parm"}.get(variable)
    if not attribute:
        return cl
    used = {getattr(r, attribute) for r in records(plan)}
    return replace(cl, items=[i for i in cl.items if i.value in used], static=False)


def reference_rows(plan: Plan) -> list[list[tuple[str, str]]]:
    """``(ItemOID, Value)`` of each TS record, in record order (empty variables left out)."""
    study_id = plan.one("Study").get("study_id", "")
    domain = odm_table("groups")[0]["domain"]
    oids = {v["variable"]: v["oid"] for v in variables()}
    out = []
    for r in records(plan):
        v = r.value
        values = {"STUDYID": study_id, "DOMAIN": domain, "TSSEQ": str(r.seq), "TSGRPID": r.group,
                  "TSPARMCD": r.parmcd, "TSPARM": r.parm, "TSVAL": v.text, "TSVALNF": v.null_flavor, "TSVALCD": v.code,
                  "TSVCDREF": v.reference, "TSVCDVER": v.version, "REGVAL": v.registry}
        out.append([(oids[name], value) for name, value in values.items() if value])
    return out
