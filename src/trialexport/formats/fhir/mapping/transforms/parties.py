"""Sponsors, investigators, contacts and the resources they become; sites."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialexport.mapkit import crosswalk
from trialexport.mapkit.transforms import Call
from trialexport.mapkit.values import phone_text

from .base import JSON, concept, transform

if TYPE_CHECKING:
    from ..engine import Context


def org_ref(ctx: Context, org: dict[str, str], path: str) -> dict[str, Any]:
    """Reference to the Organization named ``org["name"]`` (one resource per name; the lead sponsor is ``org-lead``)."""
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
    return concept(ctx, "party_role", value, path)


@transform("party_org")
def _party_org(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {"name": value["name"], "role": role(ctx, call.row.codes, call.path)}
    if value.get("agency_class"):
        out["classifier"] = [concept(ctx, "agency_class", value["agency_class"], call.path + ".agency_class")]
    out["party"] = org_ref(ctx, value, call.path)
    return out


@transform("party_responsible")
def _party_responsible(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    kind = value.get("type")
    if not kind or (crosswalk.known("party_role", kind) and not crosswalk.lookup("party_role", kind, "fhir_r5")):
        return None  # SPONSOR: the lead sponsor is the responsible party
    extra = ", ".join(v for v in (value.get("investigator_title"), value.get("investigator_affiliation")) if v)
    name = value.get("investigator_full_name") or ""
    out: dict[str, Any] = {}
    if name or extra:
        out["name"] = f"{name} ({extra})" if name and extra else name or extra
    out["role"] = role(ctx, kind, call.path + ".type")
    return out


@transform("party_person")
def _party_person(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {}
    if value.get("name"):
        aff = value.get("affiliation")
        out["name"] = f"{value['name']} ({aff})" if aff else value["name"]
    out["role"] = role(ctx, value.get("role") or "CONTACT", call.path + ".role")
    out["party"] = ctx.ref(call.row.arg, call.idx, display=value.get("name"))
    return out


@transform("first_pi")
def _first_pi(ctx: Context, value: list[dict[str, str]], call: Call) -> JSON:
    for i, off in enumerate(value):
        if off.get("role") == "PRINCIPAL_INVESTIGATOR":
            return ctx.ref(call.row.arg, (i,), display=off.get("name"))
    return None


def telecom(value: dict[str, str]) -> list[dict[str, str]]:
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


@transform("human_name")
def _human_name(ctx: Context, value: str, call: Call) -> JSON:
    return [{"text": value}]


@transform("contact_detail")
def _contact_detail(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {}
    if value.get("name"):
        out["name"] = value["name"] if not value.get("role") else f"{value['name']} ({value['role']})"
    if tel := telecom(value):
        out["telecom"] = tel
    return out or None


@transform("extended_contact")
def _extended_contact(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {}
    if value.get("role"):
        out["purpose"] = {"text": value["role"]}
    if value.get("name"):
        out["name"] = [{"text": value["name"]}]
    if tel := telecom(value):
        out["telecom"] = tel
    return out or None


# -- references, sites ---------------------------------------------------------------------------------------------


@transform("reference")
def _reference(ctx: Context, value: Any, call: Call) -> JSON:
    if call.row.arg == "organization":
        return org_ref(ctx, value, call.path)
    return ctx.ref(call.row.arg, call.idx[:1])


@transform("position")
def _position(ctx: Context, value: dict[str, float], call: Call) -> JSON:
    return {"longitude": value["lon"], "latitude": value["lat"]}
