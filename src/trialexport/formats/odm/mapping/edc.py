"""The EDC shell of one document as a version-neutral :class:`~.spec.Spec`, from the plan and the tables.

``items.csv`` says which items each form holds and where their content comes from (an element of the plan per item,
or a plan kind that must be present); ``codelists.csv``, ``forms.csv``, ``events.csv``, ``epochs.csv`` and
``methods.csv`` add the code lists, forms, events and derivations. Nothing here reads the trial.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from typing import Any

from trialexport.cdisc import terminology
from trialexport.mapkit import crosswalk
from trialexport.mapkit.tables import load_table

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


@cache
def static_items(source: str) -> tuple[CodeItem, ...]:
    """The items of a fixed code list: a crosswalk (``cdisc/ny``), a table column (``table.csv:value=decode``) or a
    vendored CDISC codelist (``ct:C66731``), each with its C-code as Alias."""
    nci = alias_context("nci")
    if source.startswith("ct:"):
        return tuple(CodeItem(value, decode, [(nci, code)]) for code, value, decode in
                     terminology.term_rows(source[3:]))
    if ":" in source:
        path, _, columns = source.partition(":")
        value_col, _, decode_col = columns.partition("=")
        folder, _, name = path.partition("/")
        seen: dict[str, CodeItem] = {}
        for r in load_table(folder, name):
            value = r[value_col].rstrip("?")
            if value not in seen:
                seen[value] = CodeItem(value, r[decode_col], [(nci, r["nci"])] if r.get("nci") else [])
        return tuple(seen.values())
    return tuple(CodeItem(c.cdisc, c.cdisc, [(nci, c.nci)]) for c in crosswalk.table(source).values())


def codelist_spec(plan: Plan, oid: str, as_oid: str | None = None) -> CodeListSpec:
    """The code list ``oid`` of ``codelists.csv`` (written as ``as_oid`` for a per-item copy)."""
    row = setting("codelists", "oid", oid)
    aliases = [(alias_context("nci"), row["nci"])] if row["nci"] else []
    if "/" in row["items"] or row["items"].startswith("ct:"):
        return CodeListSpec(as_oid or oid, row["name"], list(static_items(row["items"])), aliases, static=True,
                            static_items=True)
    items = [CodeItem(f.get("value") or plan.oid(row["items"], k), f["decode"], list(f.get("aliases", [])))
             for k, f in plan.items(row["items"])]
    return CodeListSpec(as_oid or oid, row["name"], items, aliases)


def _item(spec: Spec, plan: Plan, row: dict[str, str], fields: dict[str, Any]) -> ItemSpec:
    version = spec.version
    method = row["method"] or None
    if method and version not in setting("methods", "method_oid", method)["versions"].split():
        method = None
    if row["method"] and not method:  # the version's importers run no MethodDef: the rule is the Description
        fields = {**fields, "rule": _method_description(plan, row["method"])}
    item = ItemSpec(fill(row["oid"], fields) or "", fill(row["name"], fields) or "", row["datatype"],
                    question=fill(row["question"], fields), description=fill(row["description"], fields),
                    codelist=row["codelist"] or None, method=method, sds=row["sds"] or None)
    for pair in filter(None, row["aliases"].split(";")):
        name, _, pattern = pair.partition("=")
        item.aliases.append((alias_context(name), fill(pattern, fields) or ""))
    for kind in row["checks"].split():
        for _, check in plan.items(kind):
            item.range_checks.append(RangeCheckSpec(check["comparator"], check["value"], check["unit"],
                                                    check.get("soft", False)))
            if check["unit"] and check["unit"] not in item.units:
                item.units.append(check["unit"])
    if item.codelist:
        if version in setting("codelists", "oid", item.codelist)["per_item"].split():
            own = f"{item.codelist}.{item.oid.removeprefix('IT.')}"
            # not cached as text: the OIDs come from the record's content, so caching would grow with every record
            spec.codelists[own] = replace(codelist_spec(plan, item.codelist, own), static=False)
            item.codelist = own
        elif item.codelist not in spec.codelists:
            spec.codelists[item.codelist] = codelist_spec(plan, item.codelist)
    return item


def _keys(plan: Plan) -> dict[str, list[str]]:
    return {r["kind"]: [f["key"] for _, f in plan.items("Criterion") if f["kind"] == r["kind"]]
            for r in odm_table("criteria")}


def _method_description(plan: Plan, oid: str) -> str:
    keys = _keys(plan)
    return str(setting("methods", "method_oid", oid)["description"].format(
        **{k: ", ".join(v) or "none" for k, v in keys.items()}))


def _methods(spec: Spec, plan: Plan, items: list[ItemSpec]) -> None:
    keys = _keys(plan)
    for oid in dict.fromkeys(i.method for i in items if i.method):
        m = setting("methods", "method_oid", oid)
        expression = m["expression"].format(**{k: ", ".join(v) for k, v in keys.items()})
        spec.methods.append(MethodSpec(oid, m["name"], m["type"], _method_description(plan, oid),
                                       [c.key for c in spec.criteria], m["result"], m["context"], expression))


def build_spec(plan: Plan, version: str) -> Spec:
    """The forms, items, code lists, events and derivations of the document."""
    crits = [CriterionSpec(f["key"], f["kind"], f["text"], f.get("group")) for _, f in plan.items("Criterion")]
    spec = Spec(version, [], [], {}, [], crits)
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
    _methods(spec, plan, [i for items in by_group.values() for i in items])
    forms: dict[str, GroupSpec] = {}
    for row in odm_table("forms"):
        if by_group.get(row["item_group_oid"]):
            forms[row["form_oid"]] = GroupSpec(row["item_group_oid"], row["item_group_name"],
                                               by_group[row["item_group_oid"]], row["form_oid"], row["name"])
            spec.groups.append(forms[row["form_oid"]])
    for row in odm_table("events"):
        groups = [forms[f] for f in row["forms"].split() if f in forms]
        if groups:
            spec.events.append(EventSpec(row["event_oid"], row["name"], row["type"], row["repeating"],
                                         setting("epochs", "epoch_oid", row["epoch"]), groups))
    return spec
