"""ODM 2.0 serializer of the plan: EDC metadata in 2.0 shapes plus the registry content in native Protocol elements."""

from __future__ import annotations

from functools import partial
from typing import Any

from trialexport.cdisc.ts import TSParam, TSValue
from trialexport.formats.odm.xmltree import LANG, XML_LANG, Node, Tree

from .common import fixed, lines, root_attributes
from .context import code_system
from .defs import code_list, item_def
from .plan import Plan
from .spec import Alias, Spec
from .tables import alias_context, kinds_of, odm_table

VERSION = "2.0"
NS = "http://www.cdisc.org/ns/odm/v2.0"
T = Tree(NS)
PLAIN = "text/plain"


def _tt(parent: Node, tag: str, text: str) -> None:
    T.el(T.el(parent, tag), "TranslatedText", {"Type": PLAIN, XML_LANG: LANG}, text)


def _nci(parent: Node, code: str | None, label: str | None = None) -> None:
    if code:
        T.el(parent, "Coding", {"Code": code, "System": code_system("nci"), "Label": label})


def _codings(parent: Node, codings: list[dict[str, Any]]) -> None:
    for c in codings:
        T.el(parent, "Coding", {"Code": c["Code"], "System": c["System"], "Label": c.get("Label")})


def _codings_aliases(parent: Node, aliases: list[Alias]) -> None:
    """NCI C-code aliases become Coding (native in 2.0); the others stay Alias, after the Codings."""
    nci = alias_context("nci")
    for context, name in aliases:
        if context == nci:
            _nci(parent, name)
    for context, name in aliases:
        if context != nci:
            T.el(parent, "Alias", {"Context": context, "Name": name})


def build(plan: Plan, spec: Spec) -> Node:
    """The ODM 2.0 document of the plan."""
    sv = plan.one("Study")
    root = T.root("ODM", root_attributes(plan, sv["creation"]))
    study = T.el(root, "Study", {"OID": plan.oid("Study"), "StudyName": sv["name"],
                                 "ProtocolName": sv["protocol_name"]})
    _tt(study, "Description", sv["description"])
    mdv = T.el(study, "MetaDataVersion", {"OID": plan.oid("MetaDataVersion"), "Name": plan.name("MetaDataVersion")})
    _protocol(plan, T.el(mdv, "Protocol"), spec)
    _metadata(plan, mdv, spec)
    _admin(plan, T.el(root, "AdminData", {"StudyOID": plan.oid("Study")}))
    return root


def _epochs(spec: Spec) -> dict[tuple[str, str, str], None]:
    return dict.fromkeys((ev.epoch_oid, ev.epoch_name, ev.group_oid) for ev in spec.events)


def _protocol(plan: Plan, proto: Node, spec: Spec) -> None:
    description = plan.one("Study").get("protocol_description")
    if description:
        _tt(proto, "Description", description)
    params: list[TSParam] = plan.one("TrialSummary").get("params", [])
    if params:
        summary = T.el(proto, "StudySummary")
        for p in params:
            for k, v in enumerate(p.values, 1):
                kind = "StudyParameterValue" if len(p.values) > 1 else "StudyParameter"
                oid = plan.oid(kind, fields={"parmcd": p.parmcd, "k": k})
                if v.coded and v.code:  # a crosswalk term: one of finitely many, so written once per process
                    cache_key = ("StudyParameter", oid, p.row["term"], p.parmcd, p.row["nci"], v.text, v.code.nci,
                                 v.code.cdisc)
                    T.fragment(summary, cache_key, partial(_study_parameter, oid=oid, p=p, v=v))
                else:
                    _study_parameter(summary, oid, p, v)
    structure = T.el(proto, "StudyStructure")
    for key, arm in plan.items("Arm"):
        a = T.el(structure, "Arm", {"OID": plan.oid("Arm", key), "Name": arm["name"]})
        if arm.get("description"):
            _tt(a, "Description", arm["description"])
    epochs = _epochs(spec)
    for n, (oid, name, _) in enumerate(epochs, 1):
        T.el(structure, "Epoch", {"OID": oid, "Name": name, "SequenceNumber": str(n)})
    phase = plan.one("TrialPhase").get("value")
    if phase:
        T.el(proto, "TrialPhase", {"Value": phase})
    _coded_list(plan, proto, "StudyIndications", "Indication")
    _coded_list(plan, proto, "StudyInterventions", "Intervention")
    _outcomes(plan, proto)
    pop = plan.one("Population")
    if pop:
        el = T.el(proto, "StudyTargetPopulation", {"OID": plan.oid("Population"), "Name": plan.name("Population")})
        _tt(el, "Description", lines(pop.get("description")))
        _codings(el, pop.get("codings", []))
    if spec.criteria:
        iec = T.el(proto, "InclusionExclusionCriteria")
        for kind, tag in (("inclusion", "InclusionCriteria"), ("exclusion", "ExclusionCriteria")):
            crits = [(k, c) for k, c in plan.items("Criterion") if c["kind"] == kind]
            if crits:
                parent = T.el(iec, tag)
                for key, c in crits:
                    el = T.el(parent, "Criterion", {"OID": plan.oid("Criterion", key),
                                                    "Name": plan.name("Criterion", key),
                                                    "ConditionOID": plan.oid("Condition", key, c)})
                    _tt(el, "Description", c["text"])
                    _nci(el, c["nci"], c["iecat"])
    for n, (_, _, group) in enumerate(epochs, 1):
        T.el(proto, "StudyEventGroupRef", {"StudyEventGroupOID": group, "OrderNumber": str(n), "Mandatory": "Yes"})


def _study_parameter(summary: Node, oid: str, p: TSParam, v: TSValue) -> None:
    sp = T.el(summary, "StudyParameter", {"OID": oid, "Term": p.row["term"], "ShortName": p.parmcd})
    pv = T.el(sp, "ParameterValue", {"Value": v.text})
    if v.coded and v.code:
        _nci(pv, v.code.nci, v.code.cdisc)
    _nci(sp, p.row["nci"], p.parmcd)


def _coded_list(plan: Plan, proto: Node, tag: str, kind: str) -> None:
    """StudyIndications / StudyInterventions: Description lines and Codings per element."""
    found = plan.items(kind)
    if not found:
        return
    parent = T.el(proto, tag)
    element = tag.removesuffix("s")
    for key, el in found:
        node = T.el(parent, element, {"OID": plan.oid(kind, key)})
        _tt(node, "Description", lines(el.get("description")))
        _codings(node, el.get("codings", []))


def _outcomes(plan: Plan, proto: Node) -> None:
    levels = [(r, plan.items(r["kind"])) for r in odm_table("outcomes")]
    levels = [(r, found) for r, found in levels if found]
    if not levels:
        return
    objectives = T.el(proto, "StudyObjectives")
    for r, found in levels:
        obj = T.el(objectives, "StudyObjective", {"OID": r["objective_oid"], "Name": r["objective_name"],
                                                  "Level": r["level"]})
        for n, (key, _) in enumerate(found, 1):
            T.el(obj, "StudyEndPointRef", {"StudyEndPointOID": plan.oid(r["kind"], key), "OrderNumber": str(n)})
    endpoints = T.el(proto, "StudyEndPoints")
    for r, found in levels:
        for key, ep in found:
            el = T.el(endpoints, "StudyEndPoint", {"OID": plan.oid(r["kind"], key), "Name": ep["name"],
                                                   **fixed(r["kind"], VERSION)})
            _tt(el, "Description", lines(ep.get("description")))


def _metadata(plan: Plan, mdv: Node, spec: Spec) -> None:
    for epoch, name, group in _epochs(spec):
        seg = T.el(mdv, "StudyEventGroupDef", {"OID": group, "Name": name, "EpochOID": epoch})
        for n, ev in enumerate((ev for ev in spec.events if ev.group_oid == group), 1):
            T.el(seg, "StudyEventRef", {"StudyEventOID": ev.oid, "OrderNumber": str(n), "Mandatory": "Yes"})
    for ev in spec.events:
        sed = T.el(mdv, "StudyEventDef", {"OID": ev.oid, "Name": ev.name, "Repeating": ev.repeating, "Type": ev.type})
        for n, g in enumerate(ev.groups, 1):
            T.el(sed, "ItemGroupRef", {"ItemGroupOID": g.form_oid, "OrderNumber": str(n), "Mandatory": "Yes"})
    for g in spec.groups:
        if g.form_oid:
            form = T.el(mdv, "ItemGroupDef",
                        {"OID": g.form_oid, "Name": g.form_name, "Repeating": "No", "Type": "Form"})
            T.el(form, "ItemGroupRef", {"ItemGroupOID": g.oid, "OrderNumber": "1", "Mandatory": "Yes"})
    for g in spec.groups:
        igd = T.el(mdv, "ItemGroupDef", {"OID": g.oid, "Name": g.name, "Repeating": "Simple" if g.repeating else "No",
                                         "Type": "Section"})
        if g.description:
            _tt(igd, "Description", g.description)
        for n, it in enumerate(g.items, 1):
            T.el(igd, "ItemRef", {"ItemOID": it.oid, "OrderNumber": str(n), "Mandatory": "No",
                                  "MethodOID": it.method, "UnitsItemOID": it.unit_item})
    for g in spec.groups:
        for it in g.items:
            item_def(T, mdv, it, _tt, _codings_aliases)
    for cl in spec.codelists.values():
        code_list(T, mdv, cl, _tt, _codings_aliases)
    for key, c in plan.items("Criterion"):
        cd = T.el(mdv, "ConditionDef", {"OID": plan.oid("Condition", key, c), "Name": plan.name("Condition", key, c)})
        _tt(cd, "Description", c["text"])
        T.el(cd, "MethodSignature")
    for m in spec.methods:
        md = T.el(mdv, "MethodDef", {"OID": m.oid, "Name": m.name, "Type": m.type})
        _tt(md, "Description", m.description)
        sig = T.el(md, "MethodSignature")
        for n, param in enumerate(m.params, 1):
            T.el(sig, "Parameter", {"Name": param, "DataType": "text", "OrderNumber": str(n)})
        T.el(sig, "ReturnValue", {"Name": m.result, "DataType": "text"})


def _admin(plan: Plan, admin: Node) -> None:
    """Investigators and contacts as Users; sponsor, collaborators and sites as Organizations; sites as Locations."""
    for kind in kinds_of("User", VERSION):
        for key, u in plan.items(kind.kind):
            el = T.el(admin, "User", {"OID": plan.oid(kind.kind, key), **fixed(kind.kind, VERSION),
                                      "LocationOID": plan.ref(u.get("location"))})
            if u.get("full_name"):
                T.el(el, "FullName", text=u["full_name"])
            for tag, values in (("Email", u.get("email", [])), ("Phone", u.get("phone", []))):
                for value in values:
                    T.el(el, "Telecom", {"TelecomType": tag, "Value": value})
    for kind in kinds_of("Organization", VERSION):
        for key, org in plan.items(kind.kind):
            T.el(admin, "Organization", {"OID": plan.oid(kind.kind, key), "Name": org["name"],
                                         **fixed(kind.kind, VERSION), "LocationOID": plan.ref(org.get("location"))})
    ref = {"StudyOID": plan.oid("Study"), "MetaDataVersionOID": plan.oid("MetaDataVersion"),
           "EffectiveDate": plan.one("Study")["effective_date"]}
    for kind in kinds_of("Location", VERSION):
        for key, loc in plan.items(kind.kind):
            attrs = {"OID": plan.oid(kind.kind, key), "Name": loc["name"], **fixed(kind.kind, VERSION),
                     "OrganizationOID": plan.ref(loc.get("organization"))}
            el = T.el(admin, "Location", attrs)
            T.el(el, "MetaDataVersionRef", ref)
            addr = T.el(el, "Address")
            for tag, name in (("City", "city"), ("StateProv", "state"), ("Country", "country"), ("PostalCode", "zip")):
                if loc.get(name):
                    T.el(addr, tag, text=loc[name])
            if loc.get("geo"):
                T.el(addr, "GeoPosition", {"Longitude": loc["geo"]["longitude"], "Latitude": loc["geo"]["latitude"]})
            if loc.get("other_text"):
                T.el(addr, "OtherText", text=loc["other_text"])
