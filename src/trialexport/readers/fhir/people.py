"""Sponsors, the responsible party, officials, central contacts and sites (with their contacts)."""

from __future__ import annotations

import re
from typing import Any

from trialexport.formats.fhir.mapping import tables

from .index import Index, ext_values, first, registry_value
from .study import organization

_SITE_CONTACT = re.compile(r"-site-(\d+)-contact-(\d+)$")


def _role(party: dict[str, Any]) -> str | None:
    return registry_value("party_role", party.get("role"))


def _telecom(points: list[dict[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for point in points:
        value = point.get("value")
        if point.get("system") == "phone" and value:
            phone, _, ext = value.partition(" ext. ")
            out["phone"] = phone
            if ext:
                out["phone_ext"] = ext
        elif point.get("system") == "email" and value:
            out["email"] = value
    return out


def parties(study: dict[str, Any], idx: Index) -> dict[str, Any]:
    """``sponsors``, ``overall_officials``, ``central_contacts`` and the site contacts by site number."""
    sponsors: dict[str, Any] = {}
    officials, contacts = [], []
    site_contacts: dict[int, list[dict[str, Any]]] = {}
    responsible_code = tables.fixed("responsible-party", "r5")[1]
    responsible_refs = {(p.get("party") or {}).get("reference") for p in study.get("associatedParty", [])
                        if responsible_code in {c.get("code") for c in (p.get("role") or {}).get("coding", [])}}
    for party in study.get("associatedParty", []):
        role = _role(party)
        target = idx.get(party.get("party"))
        codes = {c.get("code") for c in (party.get("role") or {}).get("coding", [])}
        if role == "LEAD_SPONSOR":
            sponsors["lead_sponsor"] = _org(party, target)
        elif role == "COLLABORATOR":
            sponsors.setdefault("collaborators", []).append(_org(party, target))
        elif responsible_code in codes:
            sponsors["responsible_party"] = _responsible(party, target)
        elif target is not None and target.get("resourceType") == "PractitionerRole" and target.get("location"):
            site, contact = _site_contact(party, target, role)
            site_contacts.setdefault(site, []).append(contact)
        elif target is not None and target.get("resourceType") == "PractitionerRole":
            # the responsible party's own standard role (primary-investigator ...) is not an official
            if (party.get("party") or {}).get("reference") not in responsible_refs:
                officials.append(_official(party, target, role))
        elif target is not None and target.get("resourceType") == "Practitioner":
            contacts.append(_contact(party, target, role))
    lead = idx.get(study.get("sponsor"))
    if lead is not None and "lead_sponsor" not in sponsors:  # R4
        sponsors["lead_sponsor"] = organization(lead)
    out: dict[str, Any] = {"sponsors": sponsors, "overall_officials": officials, "central_contacts": contacts}
    out["site_contacts"] = site_contacts
    return out


def _contact(party: dict[str, Any], practitioner: dict[str, Any], role: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": party["name"]} if party.get("name") else {}
    if role:
        out["role"] = role
    out.update(_telecom(practitioner.get("telecom", [])))
    return out


def _org(party: dict[str, Any], target: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": party.get("name") or (target or {}).get("name")}
    kind = registry_value("agency_class", first(party.get("classifier")))
    if kind:
        out["agency_class"] = kind
    return out


def _responsible(party: dict[str, Any], role: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kind = registry_value("party_role", first(party.get("classifier")))
    if kind:
        out["type"] = kind
    if role is None or role.get("resourceType") != "PractitionerRole":
        return out
    if party.get("name"):
        out["investigator_full_name"] = party["name"]
    title = next((c.get("text") for c in role.get("code", []) if c.get("text")), None)
    if title:
        out["investigator_title"] = title
    if (role.get("organization") or {}).get("display"):
        out["investigator_affiliation"] = role["organization"]["display"]
    return out


def _official(party: dict[str, Any], role: dict[str, Any], code: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if party.get("name"):
        out["name"] = party["name"]
    if (role.get("organization") or {}).get("display"):
        out["affiliation"] = role["organization"]["display"]
    if code:
        out["role"] = code
    return out


def _site_contact(party: dict[str, Any], role: dict[str, Any], code: str | None) -> tuple[int, dict[str, Any]]:
    m = _SITE_CONTACT.search(role.get("id", ""))
    site = int(m.group(1)) - 1 if m else -1
    out: dict[str, Any] = {}
    name = party.get("name") or (role.get("practitioner") or {}).get("display")
    if name:
        out["name"] = name
    if code:
        out["role"] = code
    points = role.get("telecom") or [p for c in role.get("contact", []) for p in c.get("telecom", [])]
    out.update(_telecom(points))
    return site, out


def sites(study: dict[str, Any], idx: Index, contacts: dict[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """``locations``: the study's site references in order, each with its Location, status and contacts."""
    iso = tables.fixed("iso3166", "r5")[0]
    names = {c.get("code"): r.get("text") for r in study.get("region", []) for c in r.get("coding", [])
             if c.get("system") == iso and r.get("text")}  # fmt: skip
    out = []
    for n, ref in enumerate(study.get("site", [])):
        loc = idx.get(ref) or {}
        site: dict[str, Any] = {}
        if loc.get("name"):
            site["facility"] = loc["name"]
        for value in ext_values(ref, "site-recruitment-status"):
            status = registry_value("overall_status", value)
            if status:
                site["status"] = status
        address = loc.get("address") or {}
        for key, field in (("city", "city"), ("state", "state"), ("postalCode", "zip")):
            if address.get(key):
                site[field] = address[key]
        if address.get("country"):
            site["country"] = names.get(address["country"], address["country"])
        if loc.get("position"):
            site["geo_point"] = {"lat": loc["position"]["latitude"], "lon": loc["position"]["longitude"]}
        if contacts.get(n):
            site["contacts"] = contacts[n]
        out.append(site)
    return out
