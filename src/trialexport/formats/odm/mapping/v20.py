"""ODM 2.0 serializer of the plan: EDC metadata in 2.0 shapes plus the registry content in native Protocol elements."""

from __future__ import annotations

from functools import partial
from typing import Any

from trialexport.cdisc import terminology
from trialexport.cdisc.ts import TSRecord
from trialexport.formats.odm.xmltree import LANG, XML_LANG, Node, Tree

from . import trial_summary
from .common import fixed, lines, root_attributes, user_type
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


def _cdisc_system() -> str:
    """The Coding system of CDISC CT terms."""
    return terminology.reference("cdisc").system


def _coding(parent: Node, code: str, reference: str, label: str | None = None) -> None:
    """A Coding in the reference terminology ``reference`` (``terminology.csv``: System, SystemName, version)."""
    ref = terminology.reference(reference)
    T.el(parent, "Coding", {"Code": code, "System": ref.system, "SystemName": ref.system_name,
                            "SystemVersion": ref.version or None, "Label": label})


def _cdisc(parent: Node, code: str | None, label: str | None = None) -> None:
    if code:
        _coding(parent, code, "cdisc", label)


def _codings(parent: Node, codings: list[dict[str, Any]]) -> None:
    for c in codings:
        T.el(parent, "Coding", {"Code": c["Code"], "System": c["System"], "SystemName": c.get("SystemName"),
                                "Label": c.get("Label")})


def _codings_aliases(parent: Node, aliases: list[Alias]) -> None:
    """NCI C-code aliases become CDISC CT Codings (native in 2.0); the others stay Alias, after the Codings."""
    nci = alias_context("nci")
    for context, name in aliases:
        if context == nci:
            _cdisc(parent, name)
    T.empties(parent, "Alias", ({"Context": context, "Name": name} for context, name in aliases if context != nci))


def build(plan: Plan, spec: Spec) -> Node:
    """The ODM 2.0 document of the plan."""
    sv = plan.one("Study")
    root = T.root("ODM", root_attributes(plan))
    study = T.el(root, "Study", {"OID": plan.oid("Study"), "StudyName": sv["name"],
                                 "ProtocolName": sv["protocol_name"]})
    _tt(study, "Description", sv["description"])
    mdv = T.el(study, "MetaDataVersion", {"OID": plan.oid("MetaDataVersion"), "Name": plan.name("MetaDataVersion")})
    _protocol(plan, T.el(mdv, "Protocol"), spec)
    _metadata(plan, mdv, spec)
    _admin(plan, T.el(root, "AdminData", {"StudyOID": plan.oid("Study")}))
    return root


def _epochs(plan: Plan, spec: Spec) -> list[dict[str, str]]:
    """The epochs written: those of the EDC events, then those of the study cells."""
    used = [ev.epoch["epoch_oid"] for ev in spec.events] + [c["epoch_oid"] for _, c in plan.items("Cell")]
    return [e for e in odm_table("epochs") if e["epoch_oid"] in used]


def _groups(plan: Plan, spec: Spec) -> list[tuple[str, str]]:
    """``(StudyEventGroupDef OID, Mandatory)`` in Protocol order: the event groups of the epochs, then the cells
    (not mandatory: a subject goes through the cells of one arm)."""
    out = [(e["group_oid"], "Yes") for e in _epochs(plan, spec) if e["group_oid"]]
    return out + [(plan.oid("Cell", k), "No") for k, _ in plan.items("Cell")]


def _protocol(plan: Plan, proto: Node, spec: Spec) -> None:
    description = plan.one("Study").get("protocol_description")
    if description:
        _tt(proto, "Description", description)
    _summary(plan, proto, trial_summary.records(plan))
    structure = T.el(proto, "StudyStructure")
    for key, arm in plan.items("Arm"):
        a = T.el(structure, "Arm", {"OID": plan.oid("Arm", key), "Name": arm["name"]})
        if arm.get("description"):
            _tt(a, "Description", arm["description"])
    for n, epoch in enumerate(_epochs(plan, spec), 1):
        T.el(structure, "Epoch", {"OID": epoch["epoch_oid"], "Name": epoch["name"], "SequenceNumber": str(n)})
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
                    _cdisc(el, c["nci"], c["iecat"])
    for n, (oid, mandatory) in enumerate(_groups(plan, spec), 1):
        T.el(proto, "StudyEventGroupRef", {"StudyEventGroupOID": oid, "OrderNumber": str(n), "Mandatory": mandatory})
    # registry fields with no element of their own (registry-fields.csv)
    T.empties(proto, "Alias", ({"Context": a["context"], "Name": a["name"]} for _, a in plan.items("ProtocolAlias")))


def _summary(plan: Plan, proto: Node, records: list[TSRecord]) -> None:
    """StudySummary: one StudyParameter per TS record (ODM 2.0 allows one ParameterValue each); a record with a
    TSGRPID (CON1, REF2 ...) is numbered by it, 2.0 having no other place for it."""
    if not records:
        return
    summary = T.el(proto, "StudySummary")
    for r in records:
        oid = plan.oid("StudyParameter", fields={"parmcd": r.parmcd, "seq": r.group or r.seq})
        if r.value.system == _cdisc_system():  # a CT term: one of finitely many, so written once per process
            T.fragment(summary, ("StudyParameter", oid, r), partial(_study_parameter, oid=oid, r=r))
        else:  # free text (titles, names): caching it would grow with every record of a bulk run
            _study_parameter(summary, oid, r)


def _study_parameter(summary: Node, oid: str, r: TSRecord) -> None:
    v = r.value
    sp = T.el(summary, "StudyParameter", {"OID": oid, "Term": r.parm, "ShortName": r.parmcd})
    pv = T.el(sp, "ParameterValue", {"Value": v.text})
    if v.code and v.system:
        T.el(pv, "Coding", {"Code": v.code, "System": v.system, "SystemName": v.system_name,
                            "SystemVersion": v.version or None})
    if v.null_flavor:
        _coding(pv, v.null_flavor, "nullflavor")
    if v.registry:
        _coding(pv, v.registry, "ctgov")
    _cdisc(sp, r.parm_code, r.parmcd)


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


def _formal(parent: Node, context: str, expression: str) -> None:
    if expression:
        T.el(T.el(parent, "FormalExpression", {"Context": context}), "Code", text=expression)


def _metadata(plan: Plan, mdv: Node, spec: Spec) -> None:
    for epoch in _epochs(plan, spec):
        if epoch["group_oid"]:
            seg = T.el(mdv, "StudyEventGroupDef", {"OID": epoch["group_oid"], "Name": epoch["name"],
                                                   "EpochOID": epoch["epoch_oid"]})
            for n, ev in enumerate((ev for ev in spec.events if ev.epoch is epoch), 1):
                T.el(seg, "StudyEventRef", {"StudyEventOID": ev.oid, "OrderNumber": str(n), "Mandatory": "Yes"})
            _cdisc(seg, epoch["nci"], epoch["cdisc"])
    epochs = {e["epoch_oid"]: e for e in odm_table("epochs")}
    for key, cell in plan.items("Cell"):
        seg = T.el(mdv, "StudyEventGroupDef", {"OID": plan.oid("Cell", key), "Name": plan.name("Cell", key),
                                               "ArmOID": plan.oid("Arm", key), "EpochOID": cell["epoch_oid"]})
        T.el(seg, "StudyEventRef", {"StudyEventOID": plan.oid("CellEvent", key, cell), "OrderNumber": "1",
                                    "Mandatory": "Yes"})
        _cdisc(seg, epochs[cell["epoch_oid"]]["nci"], epochs[cell["epoch_oid"]]["cdisc"])
    for ev in spec.events:
        sed = T.el(mdv, "StudyEventDef", {"OID": ev.oid, "Name": ev.name, "Repeating": ev.repeating, "Type": ev.type})
        for n, g in enumerate(ev.groups, 1):
            T.el(sed, "ItemGroupRef", {"ItemGroupOID": g.form_oid, "OrderNumber": str(n), "Mandatory": "Yes"})
    for key, cell in plan.items("Cell"):
        T.el(mdv, "StudyEventDef", {"OID": plan.oid("CellEvent", key, cell), "Name": plan.name("CellEvent", key, cell),
                                    "Repeating": "No", "Type": "Scheduled"})
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
        sig = T.el(cd, "MethodSignature")
        T.el(sig, "Parameter", {"Name": c["key"], "DataType": "text", "OrderNumber": "1"})
        _formal(cd, c["context"], c["condition"])
    for m in spec.methods:
        md = T.el(mdv, "MethodDef", {"OID": m.oid, "Name": m.name, "Type": m.type})
        _tt(md, "Description", m.description)
        sig = T.el(md, "MethodSignature")
        for n, param in enumerate(m.params, 1):
            T.el(sig, "Parameter", {"Name": param, "DataType": "text", "OrderNumber": str(n)})
        T.el(sig, "ReturnValue", {"Name": m.result, "DataType": "text"})
        _formal(md, m.context, m.expression)


def _admin(plan: Plan, admin: Node) -> None:
    """Investigators and contacts as Users; sponsor, collaborators and sites as Organizations; sites as Locations."""
    for kind in kinds_of("User", VERSION):
        for key, u in plan.items(kind.kind):
            el = T.el(admin, "User", {"OID": plan.oid(kind.kind, key), **user_type(kind.kind, VERSION, u),
                                      "LocationOID": plan.ref(u.get("location"))})
            for tag, name in (("FullName", "full_name"), ("GivenName", "first_name"), ("FamilyName", "last_name")):
                if u.get(name):
                    T.el(el, tag, text=u[name])
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
