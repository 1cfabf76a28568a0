"""Sponsors, investigators, contacts and the resources they become; sites."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialexport.mapkit import crosswalk
from trialexport.mapkit.transforms import Call
from trialexport.mapkit.values import phone_text, same_person, site_name

from ..extensions import extension
from .base import JSON, concept, fixed_concept, transform

if TYPE_CHECKING:
    from ..context import Context


def org_ref(ctx: Context, org: dict[str, str], path: str) -> dict[str, Any]:
    """Reference to the Organization named ``org["name"]`` (one resource per name, content-derived id)."""
    name = org["name"]
    if name in ctx.orgs:
        return ctx.orgs[name]
    lead = (ctx.data.get("sponsors") or {}).get("lead_sponsor") or {}
    key = "lead" if lead.get("name") == name else str(sum(1 for n in ctx.orgs if n != lead.get("name")) + 1)
    res = ctx.resource("Organization", key=key)
    res["name"] = name
    if org.get("agency_class"):
        res["type"] = [concept(ctx, "agency_class", org["agency_class"], path + ".agency_class")]
    ctx.orgs[name] = ref = ctx.ref("Organization", key=key, display=name)
    return ref


def role(ctx: Context, value: str, path: str) -> dict[str, Any]:
    """An associatedParty role from the ``party_role`` crosswalk."""
    return concept(ctx, "party_role", value, path)


@transform("party_org")
def _party_org(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {"name": value["name"], "role": role(ctx, call.row.codes, call.path)}
    if value.get("agency_class"):
        out["classifier"] = [concept(ctx, "agency_class", value["agency_class"], call.path + ".agency_class")]
    out["party"] = org_ref(ctx, value, call.path)
    return out


def _official_practitioner(ctx: Context, i: int, official: dict[str, str]) -> dict[str, Any]:
    ref = ctx.ref("Official[]", (i,), display=official.get("name"))
    ctx.keys[id(ctx.resource("Official[]", (i,)))] = official.get("affiliation") or ""  # homonyms stay apart
    return ref


@transform("party_official")
def _party_official(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {}
    if value.get("name"):
        out["name"] = value["name"]
        _official_practitioner(ctx, call.idx[0], value)
    out["role"] = role(ctx, value.get("role") or "CONTACT", call.path + ".role")
    out["party"] = ctx.ref("OfficialRole[]", call.idx, display=value.get("name"))
    return out


@transform("party_responsible")
def _party_responsible(ctx: Context, value: tuple[dict[str, str] | None, list[dict[str, str]] | None],
                       call: Call) -> JSON:  # fmt: skip
    """The responsible party (role responsible-party, its kind in classifier). An investigator named only there, as
    principal investigator or sponsor-investigator, is also given that standard role (research-study-party-role),
    sharing the PractitionerRole; one who is also an official already has it."""
    party, officials = value[0] or {}, value[1] or []
    kind = party.get("type")
    if not kind:
        return None
    out: dict[str, Any] = {}
    if crosswalk.known("party_role", kind) and not crosswalk.lookup("party_role", kind, "fhir_r5"):  # SPONSOR
        lead = (ctx.data.get("sponsors") or {}).get("lead_sponsor")
        if lead:
            out["name"] = lead["name"]
        out["role"] = fixed_concept(ctx, call.row.codes)
        out["classifier"] = [role(ctx, kind, "sponsors.responsible_party.type")]
        if lead:
            out["party"] = org_ref(ctx, lead, "sponsors.lead_sponsor")
        return out
    name = party.get("investigator_full_name")
    if name:
        out["name"] = name
    out["role"] = fixed_concept(ctx, call.row.codes)
    out["classifier"] = [role(ctx, kind, "sponsors.responsible_party.type")]
    res = ctx.resource("ResponsibleRole")
    if name:
        same = next((i for i, o in enumerate(officials) if o.get("name") and same_person(o["name"], name)), None)
        if same is not None:  # one person, one Practitioner
            res["practitioner"] = _official_practitioner(ctx, same, officials[same])
        else:
            prac = ctx.resource("Responsible")
            prac["name"] = [{"text": name}]
            ctx.keys[id(prac)] = party.get("investigator_affiliation") or ""
            res["practitioner"] = ctx.ref("Responsible", display=name)
    if party.get("investigator_affiliation"):
        res["organization"] = {"display": party["investigator_affiliation"]}
    if party.get("investigator_title"):
        res["code"] = [{"text": party["investigator_title"]}]
    out["party"] = ctx.ref("ResponsibleRole", display=name)
    standard = crosswalk.lookup("party_role", kind, "fhir_r5")
    if name and same is None and standard:  # the registry names this investigator the study's PI: say so
        return [{"name": name, "role": role(ctx, kind, "sponsors.responsible_party.type"), "party": out["party"]}, out]
    return out


@transform("party_contact")
def _party_contact(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {}
    if value.get("name"):
        out["name"] = value["name"]
    out["role"] = role(ctx, value.get("role") or "CONTACT", call.path + ".role")
    out["party"] = ctx.ref("Contact[]", call.idx, display=value.get("name"))
    return out


@transform("party_site_contact")
def _party_site_contact(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {}
    if value.get("name"):
        out["name"] = value["name"]
    registry_role = value.get("role") or "CONTACT"
    if registry_role == call.row.arg:  # a site's PI is not the study's primary-investigator
        out["role"] = {"coding": fixed_concept(ctx, call.row.codes)["coding"], "text": registry_role}
    else:
        out["role"] = role(ctx, registry_role, call.path + ".role")
    out["party"] = ctx.ref("SiteContact[][]", call.idx, display=value.get("name"))
    return out


@transform("party_flag")
def _party_flag(ctx: Context, value: Any, call: Call) -> JSON:
    if value is not True:
        return None
    cc = fixed_concept(ctx, call.row.codes)
    return {"name": cc["text"], "role": cc}


@transform("first_pi")
def _first_pi(ctx: Context, value: tuple[list[dict[str, str]] | None, dict[str, str] | None], call: Call) -> JSON:
    for i, off in enumerate(value[0] or []):
        if off.get("role") == "PRINCIPAL_INVESTIGATOR":
            return ctx.ref(call.row.arg, (i,), display=off.get("name"))
    party = value[1] or {}
    if party.get("type") == "PRINCIPAL_INVESTIGATOR":  # the PI is named only as the responsible party
        return ctx.ref("ResponsibleRole", display=party.get("investigator_full_name"))
    return None


def telecom(value: dict[str, str]) -> list[dict[str, str]]:
    """ContactPoints of a registry contact (phone with its extension, email)."""
    out = []
    if phone := phone_text(value.get("phone"), value.get("phone_ext")):
        out.append({"system": "phone", "value": phone})
    if value.get("email"):
        out.append({"system": "email", "value": value["email"]})
    return out


@transform("phone")
def _phone(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    return telecom({"phone": value.get("phone", ""), "phone_ext": value.get("phone_ext", "")}) or None


@transform("email")
def _email(ctx: Context, value: str, call: Call) -> JSON:
    return {"system": "email", "value": value}


@transform("role_telecom")
def _role_telecom(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    tel = telecom(value)
    if not tel:
        return None
    return [{"telecom": tel}] if ctx.version == "r5" else tel


@transform("human_name")
def _human_name(ctx: Context, value: str, call: Call) -> JSON:
    return [{"text": value}]


@transform("contact_detail")
def _contact_detail(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {}
    if value.get("name"):
        out["name"] = value["name"]
    if tel := telecom(value):
        out["telecom"] = tel
    return out or None


# -- references, sites ---------------------------------------------------------------------------------------------


@transform("reference")
def _reference(ctx: Context, value: Any, call: Call) -> JSON:
    if call.row.arg == "organization":
        return org_ref(ctx, value, call.path)
    return ctx.ref(call.row.arg, call.idx[: call.row.arg.count("[]")])


@transform("site")
def _site(ctx: Context, value: dict[str, Any], call: Call) -> JSON:
    display = site_name(value.get("facility"), value.get("city"), call.idx[0] + 1)
    ref = ctx.ref("Location[]", call.idx, display=display)  # the same dict: its target gets a content id later
    if value.get("status"):
        status = concept(ctx, "overall_status", value["status"], call.path + ".status", column="fhir_r5")
        rest = dict(ref)
        ref.clear()
        ref["extension"] = [extension("site-recruitment-status", status)]
        ref.update(rest)
    return ref


@transform("position")
def _position(ctx: Context, value: dict[str, float], call: Call) -> JSON:
    return {"longitude": value["lon"], "latitude": value["lat"]}
