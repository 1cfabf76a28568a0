"""ODM 2.0 serializer: EDC metadata in 2.0 shapes plus the registry content in native Protocol elements."""

from __future__ import annotations

from functools import cache, partial

from trialexport.cdisc.ts import TSParam, TSValue
from trialexport.formats.odm.xmltree import LANG, XML_LANG, Node, Tree
from trialexport.mapkit.durations import iso_duration
from trialexport.mapkit.values import other_names_text, phone_text, site_name

from .context import Ctx, code_system, odm_table
from .defs import code_list, item_def
from .edc import alias_context, arm_code, criteria_kinds
from .header import Header
from .spec import Alias, Spec

NS = "http://www.cdisc.org/ns/odm/v2.0"
T = Tree(NS)
PLAIN = "text/plain"


def _tt(parent: Node, tag: str, text: str) -> None:
    T.el(T.el(parent, tag), "TranslatedText", {"Type": PLAIN, XML_LANG: LANG}, text)


def _nci(parent: Node, code: str | None, label: str | None = None) -> None:
    if code:
        T.el(parent, "Coding", {"Code": code, "System": code_system("nci"), "Label": label})


def _codings_aliases(parent: Node, aliases: list[Alias]) -> None:
    """NCI C-code aliases become Coding (native in 2.0); the others stay Alias, after the Codings."""
    nci = alias_context("nci")
    for context, name in aliases:
        if context == nci:
            _nci(parent, name)
    for context, name in aliases:
        if context != nci:
            T.el(parent, "Alias", {"Context": context, "Name": name})


def build(ctx: Ctx, h: Header, spec: Spec, ts: list[TSParam]) -> Node:
    root = T.root("ODM", {"FileType": "Snapshot", "Granularity": "Metadata", "FileOID": h.file_oid,
                          "CreationDateTime": h.creation, "ODMVersion": "2.0", "Originator": "trialexport",
                          "SourceSystem": "ClinicalTrials.gov"})
    study = T.el(root, "Study", {"OID": h.study_oid, "StudyName": h.study_name, "ProtocolName": h.protocol_name})
    _tt(study, "Description", h.study_description)
    mdv = T.el(study, "MetaDataVersion", {"OID": h.mdv_oid, "Name": h.mdv_name})
    _protocol(ctx, T.el(mdv, "Protocol"), h, spec, ts)
    _metadata(mdv, spec)
    _admin(ctx, T.el(root, "AdminData", {"StudyOID": h.study_oid}), h)
    return root


def _protocol(ctx: Ctx, proto: Node, h: Header, spec: Spec, ts: list[TSParam]) -> None:
    t = ctx.trial
    if h.protocol_description:
        _tt(proto, "Description", h.protocol_description)
    if ts:
        summary = T.el(proto, "StudySummary")
        for p in ts:
            for k, v in enumerate(p.values, 1):
                oid = f"SP.{p.parmcd}" + (f".{k}" if len(p.values) > 1 else "")
                if v.coded and v.code:  # a crosswalk term: one of finitely many, so written once per process
                    key = ("StudyParameter", oid, p.row["term"], p.parmcd, p.row["nci"], v.text, v.code.nci,
                           v.code.cdisc)
                    T.fragment(summary, key, partial(_study_parameter, oid=oid, p=p, v=v))
                else:
                    _study_parameter(summary, oid, p, v)
    structure = T.el(proto, "StudyStructure")
    for i, arm in enumerate(t.arms):
        a = T.el(structure, "Arm", {"OID": f"ARM.{arm_code(i)}", "Name": ctx.text(arm.label, f"arms[{i}].label")})
        if arm.description:
            _tt(a, "Description", ctx.text(arm.description, f"arms[{i}].description"))
    epochs = dict.fromkeys((ev.epoch_oid, ev.epoch_name) for ev in spec.events)
    for n, (oid, name) in enumerate(epochs, 1):
        T.el(structure, "Epoch", {"OID": oid, "Name": name, "SequenceNumber": str(n)})
    phase = next((p for p in ts if p.row["odm20_element"].startswith("Protocol/TrialPhase")), None)
    if phase:
        T.el(proto, "TrialPhase", {"Value": phase.values[0].text})
    _indications(ctx, proto)
    _interventions(ctx, proto)
    _outcomes(ctx, proto)
    _population(ctx, proto)
    if spec.criteria:
        iec = T.el(proto, "InclusionExclusionCriteria")
        for kind, tag in (("inclusion", "InclusionCriteria"), ("exclusion", "ExclusionCriteria")):
            crits = [c for c in spec.criteria if c.kind == kind]
            if crits:
                parent = T.el(iec, tag)
                for c in crits:
                    el = T.el(parent, "Criterion", {"OID": f"CRIT.{c.key}", "Name": c.key,
                                                    "ConditionOID": f"COND.ELIG.{c.key}"})
                    _tt(el, "Description", c.text)
                    _nci(el, criteria_kinds()[kind]["nci"], criteria_kinds()[kind]["iecat"])
    for n, (oid, _) in enumerate(epochs, 1):
        T.el(proto, "StudyEventGroupRef", {"StudyEventGroupOID": f"SEG.{oid.partition('.')[2]}",
                                           "OrderNumber": str(n), "Mandatory": "Yes"})


def _study_parameter(summary: Node, oid: str, p: TSParam, v: TSValue) -> None:
    sp = T.el(summary, "StudyParameter", {"OID": oid, "Term": p.row["term"], "ShortName": p.parmcd})
    pv = T.el(sp, "ParameterValue", {"Value": v.text})
    if v.coded and v.code:
        _nci(pv, v.code.nci, v.code.cdisc)
    _nci(sp, p.row["nci"], p.parmcd)


def _indications(ctx: Ctx, proto: Node) -> None:
    cond = ctx.trial.conditions
    mesh = {m.term.casefold(): (i, m) for i, m in enumerate(cond.condition_mesh)}
    used: set[int] = set()
    entries = []
    for i, text in enumerate(cond.conditions):
        hit = mesh.get(text.casefold())
        if hit:
            used.add(hit[0])
        entries.append((ctx.text(text, f"conditions.conditions[{i}]"), hit[1] if hit else None))
    entries += [(ctx.text(m.term, f"conditions.condition_mesh[{i}].term"), m)
                for i, m in enumerate(cond.condition_mesh) if i not in used]
    if not entries:
        return
    parent = T.el(proto, "StudyIndications")
    for n, (text, m) in enumerate(entries, 1):
        el = T.el(parent, "StudyIndication", {"OID": f"IND.{n:02d}"})
        _tt(el, "Description", text)
        if m:
            T.el(el, "Coding", {"Code": m.id, "System": code_system("mesh"), "Label": m.term})


def _interventions(ctx: Ctx, proto: Node) -> None:
    t = ctx.trial
    if not t.interventions:
        return
    mesh = {m.term.casefold(): m for m in t.conditions.intervention_mesh}
    parent = T.el(proto, "StudyInterventions")
    for i, iv in enumerate(t.interventions):
        p = f"interventions[{i}]"
        el = T.el(parent, "StudyIntervention", {"OID": f"INT.{i + 1:02d}"})
        lines = [ctx.text(iv.name, f"{p}.name")]
        if iv.other_names:
            lines.append(other_names_text([ctx.text(o, f"{p}.other_names[{j}]") for j, o in enumerate(iv.other_names)]))
        if iv.description:
            lines.append(ctx.text(iv.description, f"{p}.description"))
        if iv.arm_group_labels:
            lines.append("Arms: " + "; ".join(ctx.text(a, f"{p}.arm_group_labels[{j}]")
                                              for j, a in enumerate(iv.arm_group_labels)))
        _tt(el, "Description", "\n".join(lines))
        if iv.type:
            code = ctx.cdisc_code("crosswalks/intervention_type", iv.type, f"{p}.type")
            _nci(el, code.nci, code.cdisc)
        for name in [iv.name, *iv.other_names]:
            m = mesh.get(name.casefold())
            if m:
                T.el(el, "Coding", {"Code": m.id, "System": code_system("mesh"), "Label": m.term})


def _outcomes(ctx: Ctx, proto: Node) -> None:
    levels = [(r, getattr(ctx.trial.outcomes, r["kind"])) for r in odm_table("outcomes")]
    levels = [(r, outs) for r, outs in levels if outs]
    if not levels:
        return
    objectives = T.el(proto, "StudyObjectives")
    for r, outs in levels:
        obj = T.el(objectives, "StudyObjective", {"OID": r["objective_oid"], "Name": r["objective_name"],
                                                  "Level": r["level"]})
        for n in range(1, len(outs) + 1):
            oid = f"{r['endpoint_prefix']}.{n:02d}"
            T.el(obj, "StudyEndPointRef", {"StudyEndPointOID": oid, "OrderNumber": str(n)})
    endpoints = T.el(proto, "StudyEndPoints")
    for r, outs in levels:
        for n, o in enumerate(outs, 1):
            p = f"{r['model']}[{n - 1}]"
            name = ctx.text(o.measure, f"{p}.measure")
            el = T.el(endpoints, "StudyEndPoint", {"OID": f"{r['endpoint_prefix']}.{n:02d}", "Name": name,
                                                   "Level": r["level"]})
            lines = [name]
            if o.description:
                lines.append(ctx.text(o.description, f"{p}.description"))
            if o.time_frame:
                lines.append("Time frame: " + ctx.text(o.time_frame, f"{p}.time_frame"))
            _tt(el, "Description", "\n".join(lines))


def _population(ctx: Ctx, proto: Node) -> None:
    e = ctx.trial.eligibility
    lines = []
    if e.study_population:
        lines.append(ctx.text(e.study_population, "eligibility.study_population"))
    if e.sex:
        lines.append(f"Sex: {e.sex}")
    if e.gender_description:
        lines.append("Gender: " + ctx.text(e.gender_description, "eligibility.gender_description"))
    if e.minimum_age:
        lines.append(f"Minimum age: {e.minimum_age.value} {e.minimum_age.unit} "
                     f"({iso_duration(e.minimum_age.value, e.minimum_age.unit)})")
    if e.maximum_age:
        lines.append(f"Maximum age: {e.maximum_age.value} {e.maximum_age.unit} "
                     f"({iso_duration(e.maximum_age.value, e.maximum_age.unit)})")
    if e.std_ages:
        lines.append("Age groups: " + ", ".join(e.std_ages))
    if e.healthy_volunteers is not None:
        lines.append(f"Accepts healthy volunteers: {'yes' if e.healthy_volunteers else 'no'}")
    if not lines:
        return
    el = T.el(proto, "StudyTargetPopulation", {"OID": "POP.1", "Name": "Target population"})
    _tt(el, "Description", "\n".join(lines))
    if e.sex:
        code = ctx.cdisc_code("crosswalks/sex", e.sex, "eligibility.sex")
        _nci(el, code.nci, code.cdisc)


def _metadata(mdv: Node, spec: Spec) -> None:
    epochs = dict.fromkeys(ev.epoch_oid for ev in spec.events)
    for epoch in epochs:
        evs = [ev for ev in spec.events if ev.epoch_oid == epoch]
        seg = T.el(mdv, "StudyEventGroupDef", {"OID": f"SEG.{epoch.partition('.')[2]}", "Name": evs[0].epoch_name,
                                               "EpochOID": epoch})
        for n, ev in enumerate(evs, 1):
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
    for c in spec.criteria:
        cd = T.el(mdv, "ConditionDef", {"OID": f"COND.ELIG.{c.key}", "Name": f"Criterion {c.key} met"})
        _tt(cd, "Description", c.text)
        T.el(cd, "MethodSignature")
    for m in spec.methods:
        md = T.el(mdv, "MethodDef", {"OID": m.oid, "Name": m.name, "Type": m.type})
        _tt(md, "Description", m.description)
        sig = T.el(md, "MethodSignature")
        for n, key in enumerate(m.params, 1):
            T.el(sig, "Parameter", {"Name": key, "DataType": "text", "OrderNumber": str(n)})
        T.el(sig, "ReturnValue", {"Name": m.result, "DataType": "text"})


def _admin(ctx: Ctx, admin: Node, h: Header) -> None:
    """Investigators and contacts as Users; sponsor, collaborators and sites as Organizations; sites as Locations."""
    t = ctx.trial
    users: list[tuple[str, str, str | None, str | None, str | None, str | None]] = []  # oid,type,name,email,phone,loc
    for i, off in enumerate(t.overall_officials, 1):
        p = f"overall_officials[{i - 1}]"
        users.append((f"USR.OFFICIAL.{i:02d}", "Investigator", ctx.text(off.name, f"{p}.name") if off.name else None,
                      None, None, None))
    rp = t.sponsors.responsible_party
    if rp and rp.investigator_full_name:
        users.append(("USR.RESPONSIBLE", "Investigator",
                      ctx.text(rp.investigator_full_name, "sponsors.responsible_party.investigator_full_name"),
                      None, None, None))
    for i, c in enumerate(t.central_contacts, 1):
        users.append(_contact(ctx, f"USR.CONTACT.{i:02d}", c, f"central_contacts[{i - 1}]", None))
    for s, loc in enumerate(t.locations, 1):
        for j, c in enumerate(loc.contacts, 1):
            users.append(_contact(ctx, f"USR.SITE.{s:03d}.{j:02d}", c, f"locations[{s - 1}].contacts[{j - 1}]",
                                  f"LOC.SITE.{s:03d}"))
    for oid, kind, name, email, phone, loc_oid in users:
        u = T.el(admin, "User", {"OID": oid, "UserType": kind, "LocationOID": loc_oid})
        if name:
            T.el(u, "FullName", text=name)
        if email:
            T.el(u, "Telecom", {"TelecomType": "Email", "Value": email})
        if phone:
            T.el(u, "Telecom", {"TelecomType": "Phone", "Value": phone})
    sp = t.sponsors
    if sp.lead_sponsor:
        T.el(admin, "Organization", {"OID": "ORG.SPONSOR", "Name": ctx.text(sp.lead_sponsor.name,
                                                                            "sponsors.lead_sponsor.name"),
                                     "Role": "LEAD_SPONSOR", "Type": "Sponsor"})
    for i, org in enumerate(sp.collaborators, 1):
        T.el(admin, "Organization", {"OID": f"ORG.COLLAB.{i:02d}",
                                     "Name": ctx.text(org.name, f"sponsors.collaborators[{i - 1}].name"),
                                     "Role": "COLLABORATOR", "Type": "Sponsor"})
    for s, loc in enumerate(t.locations, 1):
        name = site_name(loc.facility, loc.city, s)
        T.el(admin, "Organization", {"OID": f"ORG.SITE.{s:03d}", "Name": ctx.text(name, f"locations[{s - 1}].facility"),
                                     "Type": "Site", "LocationOID": f"LOC.SITE.{s:03d}"})
    for s, loc in enumerate(t.locations, 1):
        p = f"locations[{s - 1}]"
        name = site_name(loc.facility, loc.city, s)
        el = T.el(admin, "Location", {"OID": f"LOC.SITE.{s:03d}", "Name": ctx.text(name, f"{p}.facility"),
                                      "OrganizationOID": f"ORG.SITE.{s:03d}"})
        T.el(el, "MetaDataVersionRef", {"StudyOID": h.study_oid, "MetaDataVersionOID": h.mdv_oid,
                                        "EffectiveDate": h.effective_date})
        addr = T.el(el, "Address")
        iso = countries().get(loc.country) if loc.country else None
        if loc.country and iso is None:
            ctx.report("MAP-UNKNOWN-CODE", f"country {loc.country!r} is not in mappings/odm/countries.csv: kept as "
                       "Address/OtherText", f"{p}.country")
        for tag, value, field in (("City", loc.city, "city"), ("StateProv", loc.state, "state"),
                                  ("Country", iso, "country"), ("PostalCode", loc.zip, "zip")):
            if value:
                T.el(addr, tag, text=ctx.text(value, f"{p}.{field}"))
        if loc.geo_point:
            geo = loc.geo_point
            T.el(addr, "GeoPosition", {"Longitude": _decimal(geo.lon), "Latitude": _decimal(geo.lat)})
        if loc.country and iso is None:
            T.el(addr, "OtherText", text=ctx.text(loc.country, f"{p}.country"))


def _decimal(value: float) -> str:
    """xs:decimal text of a float: plain notation, never ``1e-05``."""
    from decimal import Decimal

    return format(Decimal(repr(value)), "f")


@cache
def countries() -> dict[str, str]:
    """Registry country name -> ISO 3166-1 alpha-2 (``mappings/odm/countries.csv``)."""
    return {r["country"]: r["iso3166"] for r in odm_table("countries")}


def _contact(ctx: Ctx, oid: str, c: object, p: str, loc: str | None
             ) -> tuple[str, str, str | None, str | None, str | None, str | None]:
    name, email, phone, ext = (getattr(c, k, None) for k in ("name", "email", "phone", "phone_ext"))
    phone = phone_text(phone, ext)
    return (oid, "Other", ctx.text(name, f"{p}.name") if name else None,
            ctx.text(email, f"{p}.email") if email else None, ctx.text(phone, f"{p}.phone") if phone else None, loc)
