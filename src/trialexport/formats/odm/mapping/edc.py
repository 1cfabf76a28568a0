"""The EDC shell of one document as a version-neutral :class:`~.spec.Spec`, from the plan and the tables.

``items.csv`` says which items each form holds and where their content comes from (an element of the plan per item,
or a plan kind that must be present); ``codelists.csv``, ``forms.csv``, ``events.csv`` and ``methods.csv`` add the
code lists, forms, events and derivations. Nothing here reads the trial.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from trialexport.cdisc.ts import TSParam
from trialexport.mapkit import crosswalk

from .plan import Plan
from .spec import (
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
from .tables import alias_context, odm_table, setting

_ONE_FIELD = re.compile(r"\{(\w+)\}")


def fill(pattern: str, fields: dict[str, Any]) -> str | None:
    """A pattern filled from ``fields``; a pattern that is one ``{field}`` gives that field as it is (maybe None)."""
    if not pattern:
        return None
    one = _ONE_FIELD.fullmatch(pattern)
    if one:
        return fields.get(one[1])
    return pattern.format_map(fields)


@cache
def _items(version: str) -> tuple[dict[str, str], ...]:
    return tuple(r for r in odm_table("items") if version in r["versions"].split())


def _codelist(spec: Spec, plan: Plan, oid: str) -> None:
    """Add the code list ``oid`` (``codelists.csv``) on its first reference."""
    if oid in spec.codelists:
        return
    row = setting("codelists", "oid", oid)
    nci = alias_context("nci")
    aliases = [(nci, row["nci"])] if row["nci"] else []
    if "/" in row["items"]:  # a crosswalk: a fixed list, written once per process
        items = [CodeItem(c.cdisc, c.cdisc, [(nci, c.nci)]) for c in crosswalk.table(row["items"]).values()]
        spec.codelists[oid] = CodeListSpec(oid, row["name"], items, aliases, static=True)
    else:
        items = [CodeItem(f.get("value") or plan.oid(row["items"], k), f["decode"], list(f.get("aliases", [])))
                 for k, f in plan.items(row["items"])]
        spec.codelists[oid] = CodeListSpec(oid, row["name"], items, aliases)


def _item(spec: Spec, plan: Plan, row: dict[str, str], fields: dict[str, Any]) -> ItemSpec:
    item = ItemSpec(fill(row["oid"], fields) or "", fill(row["name"], fields) or "", row["datatype"],
                    question=fill(row["question"], fields), description=fill(row["description"], fields),
                    codelist=row["codelist"] or None, method=row["method"] or None)
    for pair in filter(None, row["aliases"].split(";")):
        name, _, pattern = pair.partition("=")
        item.aliases.append((alias_context(name), fill(pattern, fields) or ""))
    for _, check in plan.items(row["checks"]) if row["checks"] else []:
        item.range_checks.append(RangeCheckSpec(check["comparator"], check["value"], check["unit"]))
        if check["unit"] not in item.units:
            item.units.append(check["unit"])
    if item.codelist:
        _codelist(spec, plan, item.codelist)
    return item


def _methods(spec: Spec, plan: Plan, crits: list[CriterionSpec], items: list[ItemSpec]) -> None:
    for oid in dict.fromkeys(i.method for i in items if i.method):
        m = setting("methods", "method_oid", oid)
        kinds = {r["kind"]: ", ".join(c.key for c in crits if c.kind == r["kind"]) or "none"
                 for r in odm_table("criteria")}
        spec.methods.append(MethodSpec(oid, m["name"], m["type"], m["description"].format(**kinds),
                                       [c.key for c in crits], m["result"]))


def build_spec(plan: Plan, version: str) -> Spec:
    """The forms, items, code lists, events and derivations of the document."""
    crits = [CriterionSpec(f["key"], f["kind"], f["text"], f.get("group")) for _, f in plan.items("Criterion")]
    spec = Spec(version, [], [], {}, [], crits, [])
    by_group: dict[str, list[ItemSpec]] = {}
    written: dict[str, ItemSpec] = {}
    for row in _items(version):
        if row["requires"] and not plan.has(row["requires"]):
            continue
        elements = [f for _, f in plan.items(row["repeat"])] if row["repeat"] else [{}]
        for fields in elements:
            item = _item(spec, plan, row, fields)
            by_group.setdefault(row["group"], []).append(item)
            written[row["item"]] = item
    for row in _items(version):
        if row["units_item"] and row["item"] in written and row["units_item"] in written:
            written[row["item"]].unit_item = written[row["units_item"]].oid
    for item in written.values():
        spec.units.extend(u for u in item.units if u not in spec.units)
    _methods(spec, plan, crits, [i for items in by_group.values() for i in items])
    forms: dict[str, GroupSpec] = {}
    for row in odm_table("forms"):
        if by_group.get(row["item_group_oid"]):
            forms[row["form_oid"]] = GroupSpec(row["item_group_oid"], row["item_group_name"],
                                               by_group[row["item_group_oid"]], row["form_oid"], row["name"])
            spec.groups.append(forms[row["form_oid"]])
    for row in odm_table("events"):
        spec.events.append(EventSpec(row["event_oid"], row["name"], row["type"], row["repeating"], row["epoch_oid"],
                                     row["epoch_name"], [forms[f] for f in row["forms"].split() if f in forms],
                                     row["group_oid"]))
    return spec


def add_ts_group(spec: Spec, params: list[TSParam]) -> None:
    """TS parameters as a reference-data item group (ODM 1.3.2): one ItemDef per parameter, values per TSSEQ."""
    g = odm_table("groups")[0]
    nci = alias_context("nci")
    items: list[ItemSpec] = []
    rows: list[list[tuple[str, str]]] = []
    for p in params:
        r = p.row
        names = {"parmcd": p.parmcd, "term": r["term"]}
        base, text_oid = g["item_oid"].format_map(names), g["text_item_oid"].format_map(names)
        aliases = [(alias_context("tsparmcd"), p.parmcd), (nci, r["nci"])]
        if r["codelist"]:
            if r["codelist"] not in spec.codelists:
                spec.codelists[r["codelist"]] = _ts_codelist(r)
            if any(v.coded for v in p.values):
                items.append(ItemSpec(base, r["term"], r["datatype"], description=r["term"], codelist=r["codelist"],
                                      aliases=aliases, static=True))
            if not all(v.coded for v in p.values):
                items.append(ItemSpec(text_oid, g["text_name"].format_map(names), "text",
                                      description=g["text_description"].format_map(names),
                                      aliases=[(alias_context("tsparmcd"), p.parmcd)], static=True))
        else:
            items.append(ItemSpec(base, r["term"], r["datatype"], description=r["term"], aliases=aliases,
                                  static=True))
        for k, v in enumerate(p.values):
            while len(rows) <= k:
                rows.append([])
            rows[k].append((base if (v.coded or not r["codelist"]) else text_oid, v.text))
    if items:
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
