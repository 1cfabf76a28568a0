"""AdminData read back: users (officials, the responsible investigator, central and site contacts), the sponsor and
collaborators, and the sites with their addresses. Which element is what comes from its OID, matched against the
patterns of ``mappings/odm/elements.csv`` (the writer's own)."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from trialexport.formats.odm.mapping.tables import elements
from trialexport.mapkit.countries import registry_name_by_alpha2

if TYPE_CHECKING:
    from .odm_parts import Doc


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """``(kind, regex)`` of each User / Organization / Location OID pattern."""
    out = []
    for e in elements().values():
        if e.element in ("User", "Organization", "Location"):
            rx = re.escape(e.oid)
            rx = re.sub(r"\\\{(\w+)(?::[^}]*)?\\\}", lambda m: f"(?P<{m[1]}>[^.]+)", rx)
            out.append((e.kind, re.compile(f"^{rx}$")))
    return tuple(out)


def kind_of(oid: str) -> tuple[str, dict[str, str]] | None:
    """The element kind an OID was written for, and the parts of its pattern (``n``, ``key``, ``site`` ...)."""
    for kind, rx in _patterns():
        m = rx.match(oid)
        if m:
            return kind, m.groupdict()
    return None


def _person(doc: Doc, user: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    name = doc.first("o:FullName/text()", user)
    if name:
        out["name"] = str(name)
    if doc.version == "2.0":
        emails = doc.all("o:Telecom[@TelecomType='Email']/@Value", user)
        phones = doc.all("o:Telecom[@TelecomType='Phone']/@Value", user)
    else:
        emails, phones = doc.all("o:Email/text()", user), doc.all("o:Phone/text()", user)
    if emails:
        out["email"] = str(emails[0])
    if phones:
        number, _, ext = str(phones[0]).partition(" ext. ")
        out["phone"] = number
        if ext:
            out["phone_ext"] = ext
    return out


def unique_name_parts_removed(data: dict[str, Any]) -> None:
    """The facilities of the sites: the writer's additions (city, state, postal code, position), made only to tell
    sites of one name apart, removed where another site shares what remains. Run once the addresses are read."""
    sites = data.get("locations", [])
    names = [s.get("facility", "") for s in sites]
    for site in sites:
        name = re.sub(r" \(site \d+\)$", "", site.get("facility", ""))
        for part in ("zip", "state", "city"):
            value = str(site.get(part) or "")
            shorter = name[: -len(value) - 2] if value and name.endswith(f", {value}") else ""
            if shorter and sum(1 for o in names if o == shorter or o.startswith(shorter + ", ")) > 1:
                name = shorter
        if "facility" in site:
            site["facility"] = name


def read_admin(doc: Doc, data: dict[str, Any]) -> None:
    """Officials, the responsible investigator, contacts, sponsor, collaborators and sites into ``data``."""
    sponsors = data.setdefault("sponsors", {})
    sites: dict[str, dict[str, Any]] = {}  # Location OID -> location
    institutions = {org.get("LocationOID"): org.get("Name", "") for org in doc.all("//o:AdminData/o:Organization")
                    if (kind_of(org.get("OID", "")) or ("",))[0] == "SiteOrganization"}
    for loc in doc.all("//o:AdminData/o:Location"):
        kind = kind_of(loc.get("OID", ""))
        if kind and kind[0] == "SiteLocation":
            address = {tag: str(doc.first(f"o:Address/o:{el}/text()", loc) or "")
                       for tag, el in (("city", "City"), ("state", "StateProv"), ("zip", "PostalCode"))}
            site: dict[str, Any] = {k: v for k, v in address.items() if v}
            country = doc.first("o:Address/o:Country/text()", loc)
            other = doc.first("o:Address/o:OtherText/text()", loc)
            if country or other:
                site["country"] = registry_name_by_alpha2().get(str(country), str(country)) if country else str(other)
            geo = doc.first("o:Address/o:GeoPosition", loc)
            if geo is not None:
                site["geo_point"] = {"lat": float(geo.get("Latitude")), "lon": float(geo.get("Longitude"))}
            oid = loc.get("OID", "")
            name = institutions.get(oid) or loc.get("Name", "")
            if name != address.get("city") and not re.fullmatch(r"Site \d+", name):  # not the writer's fallbacks
                site["facility"] = name
            sites[loc.get("OID", "")] = site
        elif kind and kind[0] == "SponsorLocation":
            sponsors.setdefault("lead_sponsor", {"name": loc.get("Name")})
    for org in doc.all("//o:AdminData/o:Organization"):
        kind = kind_of(org.get("OID", ""))
        if kind and kind[0] == "SponsorOrganization":
            sponsors["lead_sponsor"] = {"name": org.get("Name")}
        elif kind and kind[0] == "CollaboratorOrganization":
            sponsors.setdefault("collaborators", []).append({"name": org.get("Name")})
    officials, contacts = [], []
    for user in doc.all("//o:AdminData/o:User"):
        kind = kind_of(user.get("OID", ""))
        person = _person(doc, user)
        organization = doc.first("o:Organization/text()", user)
        if not kind:
            continue
        if kind[0] == "OfficialUser":
            if organization:
                person["affiliation"] = str(organization)
            officials.append({k: v for k, v in person.items() if k in ("name", "affiliation")})
        elif kind[0] == "ResponsibleUser":
            rp = sponsors.setdefault("responsible_party", {})
            rp["investigator_full_name"] = person.get("name")
            if organization:
                rp["investigator_affiliation"] = str(organization)
        elif kind[0] == "ContactUser":
            contacts.append(person)
        elif kind[0] == "SiteContactUser":
            ref = user.get("LocationOID") or doc.first("o:LocationRef/@LocationOID", user)
            if ref in sites:
                sites[ref].setdefault("contacts", []).append(person)
        elif kind[0] == "SponsorUser" and organization:
            sponsors.setdefault("lead_sponsor", {"name": str(organization)})
        elif kind[0] == "CollaboratorUser" and organization:
            sponsors.setdefault("collaborators", []).append({"name": str(organization)})
    if officials:
        data["overall_officials"] = officials
    if contacts:
        data["central_contacts"] = contacts
    if sites:
        data["locations"] = list(sites.values())
