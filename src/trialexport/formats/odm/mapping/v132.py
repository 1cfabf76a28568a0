"""ODM 1.3.2 serializer: Study (GlobalVariables, BasicDefinitions, MetaDataVersion), AdminData, ReferenceData."""

from __future__ import annotations

from functools import cache

from trialexport.formats.odm.xmltree import LANG, XML_LANG, Node, Tree
from trialexport.mapkit.values import phone_text, site_name

from .context import Ctx, odm_table
from .defs import code_list, item_def
from .header import Header
from .spec import Alias, Spec


@cache
def units() -> dict[str, dict[str, str]]:
    """``{model unit: row}`` of ``mappings/odm/units.csv`` (1.3.2 MeasurementUnits)."""
    return {row["model_unit"]: row for row in odm_table("units")}


NS = "http://www.cdisc.org/ns/odm/v1.3"
T = Tree(NS)


def _tt(parent: Node, tag: str, text: str) -> None:
    T.el(T.el(parent, tag), "TranslatedText", {XML_LANG: LANG}, text)


def _aliases(parent: Node, aliases: list[Alias]) -> None:
    for context, name in aliases:
        T.el(parent, "Alias", {"Context": context, "Name": name})


def build(ctx: Ctx, h: Header, spec: Spec) -> Node:
    root = T.root("ODM", {"FileType": "Snapshot", "Granularity": "Metadata", "FileOID": h.file_oid,
                          "CreationDateTime": h.creation, "ODMVersion": "1.3.2", "Originator": "trialexport",
                          "SourceSystem": "ClinicalTrials.gov"})
    study = T.el(root, "Study", {"OID": h.study_oid})
    gv = T.el(study, "GlobalVariables")
    T.el(gv, "StudyName", text=h.study_name)
    T.el(gv, "StudyDescription", text=h.study_description)
    T.el(gv, "ProtocolName", text=h.protocol_name)
    if spec.units:
        bd = T.el(study, "BasicDefinitions")
        for unit in spec.units:
            u = units()[unit]
            mu = T.el(bd, "MeasurementUnit", {"OID": u["oid"], "Name": u["name"]})
            _tt(mu, "Symbol", u["symbol"])
    _metadata(T.el(study, "MetaDataVersion", {"OID": h.mdv_oid, "Name": h.mdv_name}), h, spec)
    _admin(ctx, T.el(root, "AdminData", {"StudyOID": h.study_oid}), h)
    if spec.reference_rows:
        ref = T.el(root, "ReferenceData", {"StudyOID": h.study_oid, "MetaDataVersionOID": h.mdv_oid})
        for k, row in enumerate(spec.reference_rows, 1):
            igd = T.el(ref, "ItemGroupData", {"ItemGroupOID": spec.reference_group, "ItemGroupRepeatKey": str(k)})
            for oid, value in row:
                T.el(igd, "ItemData", {"ItemOID": oid, "Value": value})
    return root


def _metadata(mdv: Node, h: Header, spec: Spec) -> None:
    proto = T.el(mdv, "Protocol")
    if h.protocol_description:
        _tt(proto, "Description", h.protocol_description)
    for n, ev in enumerate(spec.events, 1):
        T.el(proto, "StudyEventRef", {"StudyEventOID": ev.oid, "OrderNumber": str(n), "Mandatory": "Yes"})
    for ev in spec.events:
        sed = T.el(mdv, "StudyEventDef", {"OID": ev.oid, "Name": ev.name, "Repeating": ev.repeating, "Type": ev.type})
        for n, g in enumerate(ev.groups, 1):
            T.el(sed, "FormRef", {"FormOID": g.form_oid, "OrderNumber": str(n), "Mandatory": "Yes"})
    forms = [g for g in spec.groups if g.form_oid]
    for g in forms:
        fd = T.el(mdv, "FormDef", {"OID": g.form_oid, "Name": g.form_name, "Repeating": "No"})
        T.el(fd, "ItemGroupRef", {"ItemGroupOID": g.oid, "OrderNumber": "1", "Mandatory": "Yes"})
    for g in spec.groups:
        igd = T.el(mdv, "ItemGroupDef", {"OID": g.oid, "Name": g.name, "Repeating": "Yes" if g.repeating else "No",
                                         "IsReferenceData": "Yes" if g.reference else None,
                                         "Domain": g.domain})
        if g.description:
            _tt(igd, "Description", g.description)
        for n, it in enumerate(g.items, 1):
            T.el(igd, "ItemRef", {"ItemOID": it.oid, "OrderNumber": str(n), "Mandatory": "No", "MethodOID": it.method})
    for g in spec.groups:
        for it in g.items:
            item_def(T, mdv, it, _tt, _aliases, lambda u: units()[u]["oid"])
    for cl in spec.codelists.values():
        code_list(T, mdv, cl, _tt, _aliases)
    for m in spec.methods:
        _tt(T.el(mdv, "MethodDef", {"OID": m.oid, "Name": m.name, "Type": m.type}), "Description", m.description)


def _admin(ctx: Ctx, admin: Node, h: Header) -> None:
    """Sponsor, collaborators, investigators and contacts as Users; sponsor and sites as Locations."""
    t = ctx.trial
    locations: list[tuple[str, str, str]] = []  # (OID, Name, LocationType)
    sp = t.sponsors
    if sp.lead_sponsor:
        name = ctx.text(sp.lead_sponsor.name, "sponsors.lead_sponsor.name")
        _user(admin, "USR.SPONSOR", "Sponsor", None, name, [], [], "LOC.SPONSOR")
        locations.append(("LOC.SPONSOR", name, "Sponsor"))
    for i, org in enumerate(sp.collaborators, 1):
        _user(admin, f"USR.COLLAB.{i:02d}", "Sponsor", None,
              ctx.text(org.name, f"sponsors.collaborators[{i - 1}].name"), [], [], None)
    rp = sp.responsible_party
    if rp and rp.investigator_full_name:
        _user(admin, "USR.RESPONSIBLE", "Investigator",
              ctx.text(rp.investigator_full_name, "sponsors.responsible_party.investigator_full_name"),
              ctx.text(rp.investigator_affiliation, "sponsors.responsible_party.investigator_affiliation")
              if rp.investigator_affiliation else None, [], [], None)
    for i, off in enumerate(t.overall_officials, 1):
        p = f"overall_officials[{i - 1}]"
        _user(admin, f"USR.OFFICIAL.{i:02d}", "Investigator", ctx.text(off.name, f"{p}.name") if off.name else None,
              ctx.text(off.affiliation, f"{p}.affiliation") if off.affiliation else None, [], [], None)
    for i, c in enumerate(t.central_contacts, 1):
        p = f"central_contacts[{i - 1}]"
        _contact_user(ctx, admin, f"USR.CONTACT.{i:02d}", c, p, None)
    for s, loc in enumerate(t.locations, 1):
        oid = f"LOC.SITE.{s:03d}"
        p = f"locations[{s - 1}]"
        name = site_name(loc.facility, loc.city, s)
        locations.append((oid, ctx.text(name, f"{p}.facility"), "Site"))
        for j, c in enumerate(loc.contacts, 1):
            _contact_user(ctx, admin, f"USR.SITE.{s:03d}.{j:02d}", c, f"{p}.contacts[{j - 1}]", oid)
    for oid, name, kind in locations:
        el = T.el(admin, "Location", {"OID": oid, "Name": name, "LocationType": kind})
        T.el(el, "MetaDataVersionRef", {"StudyOID": h.study_oid, "MetaDataVersionOID": h.mdv_oid,
                                        "EffectiveDate": h.effective_date})


def _contact_user(ctx: Ctx, admin: Node, oid: str, c: object, p: str, loc: str | None) -> None:
    name = getattr(c, "name", None)
    email = getattr(c, "email", None)
    phone = getattr(c, "phone", None)
    ext = getattr(c, "phone_ext", None)
    phone = phone_text(phone, ext)
    _user(admin, oid, "Other", ctx.text(name, f"{p}.name") if name else None, None,
          [ctx.text(email, f"{p}.email")] if email else [], [ctx.text(phone, f"{p}.phone")] if phone else [], loc)


def _user(admin: Node, oid: str, kind: str, full_name: str | None, org: str | None, emails: list[str],
          phones: list[str], location: str | None) -> None:
    el = T.el(admin, "User", {"OID": oid, "UserType": kind})
    if full_name:
        T.el(el, "FullName", text=full_name)
    if org:
        T.el(el, "Organization", text=org)
    for e in emails:
        T.el(el, "Email", text=e)
    for ph in phones:
        T.el(el, "Phone", text=ph)
    if location:
        T.el(el, "LocationRef", {"LocationOID": location})
