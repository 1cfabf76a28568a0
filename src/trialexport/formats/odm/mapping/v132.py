"""ODM 1.3.2 serializer of the plan: Study (GlobalVariables, BasicDefinitions, the EDC MetaDataVersion, then the
Trial Summary MetaDataVersion), AdminData, ReferenceData (the TS records)."""

from __future__ import annotations

from functools import cache

from trialexport.formats.odm.xmltree import LANG, XML_LANG, Node, Tree

from . import trial_summary
from .common import fixed, root_attributes, user_type
from .defs import code_list, item_def
from .plan import Plan
from .spec import Alias, CodeListSpec, GroupSpec, Spec
from .tables import kinds_of, odm_table

VERSION = "1.3.2"
NS = "http://www.cdisc.org/ns/odm/v1.3"
T = Tree(NS)


@cache
def units() -> dict[str, dict[str, str]]:
    """``{model unit: row}`` of ``mappings/odm/units.csv`` (1.3.2 MeasurementUnits)."""
    return {row["model_unit"]: row for row in odm_table("units")}


def _tt(parent: Node, tag: str, text: str) -> None:
    T.el(T.el(parent, tag), "TranslatedText", {XML_LANG: LANG}, text)


def _aliases(parent: Node, aliases: list[Alias]) -> None:
    T.empties(parent, "Alias", ({"Context": context, "Name": name} for context, name in aliases))


def build(plan: Plan, spec: Spec) -> Node:
    """The ODM 1.3.2 document of the plan."""
    sv = plan.one("Study")
    root = T.root("ODM", root_attributes(plan))
    study_oid = plan.oid("Study")
    study = T.el(root, "Study", {"OID": study_oid})
    gv = T.el(study, "GlobalVariables")
    T.el(gv, "StudyName", text=sv["name"])
    T.el(gv, "StudyDescription", text=sv["description"])
    T.el(gv, "ProtocolName", text=sv["protocol_name"])
    if spec.units:
        bd = T.el(study, "BasicDefinitions")
        for unit in spec.units:
            u = units()[unit]
            _tt(T.el(bd, "MeasurementUnit", {"OID": u["oid"], "Name": u["name"]}), "Symbol", u["symbol"])
    mdv = T.el(study, "MetaDataVersion", {"OID": plan.oid("MetaDataVersion"), "Name": plan.name("MetaDataVersion")})
    _protocol(plan, mdv, sv.get("protocol_description"), spec)
    _definitions(mdv, spec.groups, spec.codelists)
    rows = trial_summary.reference_rows(plan)
    if rows:
        group, codelists = trial_summary.reference_group(plan)
        ts_oid = plan.oid("TSMetaDataVersion")
        _definitions(T.el(study, "MetaDataVersion", {"OID": ts_oid, "Name": plan.name("TSMetaDataVersion")}),
                     [group], codelists)
    _admin(plan, T.el(root, "AdminData", {"StudyOID": study_oid}))
    if rows:
        ref = T.el(root, "ReferenceData", {"StudyOID": study_oid, "MetaDataVersionOID": ts_oid})
        for k, row in enumerate(rows, 1):
            igd = T.el(ref, "ItemGroupData", {"ItemGroupOID": group.oid, "ItemGroupRepeatKey": str(k)})
            T.empties(igd, "ItemData", ({"ItemOID": oid, "Value": value} for oid, value in row))
    return root


def _protocol(plan: Plan, mdv: Node, description: str | None, spec: Spec) -> None:
    proto = T.el(mdv, "Protocol")
    if description:
        _tt(proto, "Description", description)
    for n, ev in enumerate(spec.events, 1):
        T.el(proto, "StudyEventRef", {"StudyEventOID": ev.oid, "OrderNumber": str(n), "Mandatory": "Yes"})
    _aliases(proto, [(a["context"], a["name"]) for _, a in plan.items("ProtocolAlias")])
    for ev in spec.events:
        sed = T.el(mdv, "StudyEventDef", {"OID": ev.oid, "Name": ev.name, "Repeating": ev.repeating, "Type": ev.type})
        for n, g in enumerate(ev.groups, 1):
            T.el(sed, "FormRef", {"FormOID": g.form_oid, "OrderNumber": str(n), "Mandatory": "Yes"})
    for g in spec.groups:
        if g.form_oid:
            fd = T.el(mdv, "FormDef", {"OID": g.form_oid, "Name": g.form_name, "Repeating": "No"})
            T.el(fd, "ItemGroupRef", {"ItemGroupOID": g.oid, "OrderNumber": "1", "Mandatory": "Yes"})


def _definitions(mdv: Node, groups: list[GroupSpec], codelists: dict[str, CodeListSpec]) -> None:
    """ItemGroupDefs, ItemDefs and CodeLists of a MetaDataVersion (1.3.2 has no MethodDefs here: see methods.csv)."""
    for g in groups:
        igd = T.el(mdv, "ItemGroupDef", {"OID": g.oid, "Name": g.name, "Repeating": "Yes" if g.repeating else "No",
                                         "IsReferenceData": "Yes" if g.reference else None, "Domain": g.domain})
        if g.description:
            _tt(igd, "Description", g.description)
        for n, it in enumerate(g.items, 1):
            T.el(igd, "ItemRef", {"ItemOID": it.oid, "OrderNumber": str(n), "Mandatory": "No",
                                  "KeySequence": str(it.key_sequence) if it.key_sequence else None,
                                  "MethodOID": it.method})
    for g in groups:
        for it in g.items:
            item_def(T, mdv, it, _tt, _aliases, lambda u: units()[u]["oid"])
    for cl in codelists.values():
        code_list(T, mdv, cl, _tt, _aliases)


def _admin(plan: Plan, admin: Node) -> None:
    """Users (every one with FirstName and LastName: OpenEDC reads both), then Locations (sponsor, sites)."""
    for kind in kinds_of("User", VERSION):
        for key, u in plan.items(kind.kind):
            el = T.el(admin, "User", {"OID": plan.oid(kind.kind, key), **user_type(kind.kind, VERSION, u)})
            if u.get("full_name"):
                T.el(el, "FullName", text=u["full_name"])
            label = plan.name(kind.kind, key)  # the user's role (Central contact 2) where a name part is missing
            T.el(el, "FirstName", text=u.get("first_name") or label)
            T.el(el, "LastName", text=u.get("last_name") or label)
            if u.get("organization"):
                T.el(el, "Organization", text=u["organization"])
            for email in u.get("email", []):
                T.el(el, "Email", text=email)
            for phone in u.get("phone", []):
                T.el(el, "Phone", text=phone)
            if u.get("location"):
                T.el(el, "LocationRef", {"LocationOID": plan.ref(u["location"])})
    ref = {"StudyOID": plan.oid("Study"), "MetaDataVersionOID": plan.oid("MetaDataVersion"),
           "EffectiveDate": plan.one("Study")["effective_date"]}
    for kind in kinds_of("Location", VERSION):
        for key, loc in plan.items(kind.kind):
            el = T.el(admin, "Location", {"OID": plan.oid(kind.kind, key), "Name": loc["name"],
                                          **fixed(kind.kind, VERSION)})
            T.el(el, "MetaDataVersionRef", ref)
