"""The closed registry of named transforms used in the ``transform`` column of the FHIR tables.

A transform is ``fn(ctx, value, call) -> FHIR JSON | None`` (``None``: nothing to place).
``call.row.arg`` is the part after ``:`` (e.g. the crosswalk of ``codeable:phase``),
``call.row.codes`` the row's ``codes`` cell (a ``codes.csv`` name, a constant or a role).
Transforms return plain dicts in the R5 shape; the tables say where they go per version.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import crosswalk
from ..pathexpr import concrete
from . import tables

if TYPE_CHECKING:
    from .engine import Context
    from .tables import Row

JSON = Any


@dataclass(slots=True)
class Call:
    """Where a transform is applied: the row, the source indices and the source path.

    The engine makes one per row and moves ``idx`` from value to value: a transform must not keep it.
    """

    row: Row
    idx: tuple[int, ...]
    source: str

    @property
    def path(self) -> str:
        """The concrete model path (``arms[2].type``), for diagnostics."""
        return concrete(self.source, self.idx) if self.source else ""


Transform = Callable[["Context", Any, Call], JSON]
TRANSFORMS: dict[str, Transform] = {}


def transform(name: str, *, aggregate: bool = False) -> Callable[[Transform], Transform]:
    """Register a transform; ``aggregate`` ones receive all values of a list source at once."""

    def deco(fn: Transform) -> Transform:
        fn.aggregate = aggregate  # type: ignore[attr-defined]
        TRANSFORMS[name] = fn
        return fn

    return deco


# -- codes -------------------------------------------------------------------------------------------------------


def coding(ctx: Context, name: str) -> dict[str, str]:
    """A Coding from ``codes.csv`` (system, code, display)."""
    system, code, display = tables.fixed(name, ctx.version)
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def fixed_concept(ctx: Context, name: str) -> dict[str, Any]:
    """A CodeableConcept from ``codes.csv``; text only when the entry has no code."""
    _, code, display = tables.fixed(name, ctx.version)
    if not code:
        return {"text": display}
    return {"coding": [coding(ctx, name)], "text": display}


def concept(ctx: Context, xwalk: str, value: Any, path: str) -> dict[str, Any]:
    """CodeableConcept for a registry value: crosswalk coding + registry value as text.

    A list (``phases``) is looked up joined by ``|``. An unknown value is kept as text and warned about.
    """
    key = "|".join(value) if isinstance(value, list) else str(value)
    text = ", ".join(value) if isinstance(value, list) else str(value)
    column = f"fhir_{ctx.version}"
    if not crosswalk.known(xwalk, key):
        ctx.warn("MAP-UNKNOWN-CODE", crosswalk.unknown_message(f"crosswalks/{xwalk}", key), path)
        return {"text": text}
    code = crosswalk.lookup(xwalk, key, column)
    if code is None:
        return {"text": text}
    return {"coding": [{"system": crosswalk.system(xwalk, column), "code": code}], "text": text}


def code(ctx: Context, xwalk: str, value: str, path: str) -> str | None:
    """A bare ``code`` from a crosswalk, or ``None`` (unknown values warned about)."""
    if not crosswalk.known(xwalk, value):
        ctx.warn("MAP-UNKNOWN-CODE", crosswalk.unknown_message(f"crosswalks/{xwalk}", value), path)
        return None
    return crosswalk.lookup(xwalk, value, f"fhir_{ctx.version}")


@transform("const")
def _const(ctx: Context, value: Any, call: Call) -> JSON:
    return call.row.codes


@transform("const_bool")
def _const_bool(ctx: Context, value: Any, call: Call) -> JSON:
    return call.row.codes == "true"


@transform("resource_id")
def _resource_id(ctx: Context, value: Any, call: Call) -> JSON:
    return ctx.resource(call.row.target.kind, call.idx[:1])["id"]


@transform("text")
def _text(ctx: Context, value: Any, call: Call) -> JSON:
    return str(value)


@transform("integer")
def _integer(ctx: Context, value: Any, call: Call) -> JSON:
    return int(value)


@transform("codeable_text")
def _codeable_text(ctx: Context, value: Any, call: Call) -> JSON:
    return {"text": str(value)}


@transform("codeable")
def _codeable(ctx: Context, value: Any, call: Call) -> JSON:
    return concept(ctx, call.row.arg, value, call.path)


@transform("code")
def _code(ctx: Context, value: Any, call: Call) -> JSON:
    return code(ctx, call.row.arg, value, call.path)


@transform("fixed")
def _fixed(ctx: Context, value: Any, call: Call) -> JSON:
    return fixed_concept(ctx, call.row.codes)


@transform("flag")
def _flag(ctx: Context, value: Any, call: Call) -> JSON:
    return fixed_concept(ctx, call.row.codes) if value is True else None


@transform("distinct_text", aggregate=True)
def _distinct_text(ctx: Context, value: list[str], call: Call) -> JSON:
    return [{"text": v} for v in dict.fromkeys(value)]


@transform("mesh")
def _mesh(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    system = tables.fixed("mesh", ctx.version)[0]
    return {"coding": [{"system": system, "code": value["id"], "display": value["term"]}], "text": value["term"]}


@transform("conditions")
def _conditions(ctx: Context, value: tuple[list[str] | None, list[dict[str, str]] | None], call: Call) -> JSON:
    names, meshes = value[0] or [], value[1] or []
    system = tables.fixed("mesh", ctx.version)[0]
    by_term = {m["term"].casefold(): m for m in meshes}
    used: set[str] = set()
    out = []
    for name in names:
        cc: dict[str, Any] = {"text": name}
        m = by_term.get(name.casefold())
        if m:
            used.add(m["id"])
            cc = {"coding": [{"system": system, "code": m["id"], "display": m["term"]}], "text": name}
        out.append(cc)
    for m in meshes:
        if m["id"] not in used:
            out.append({"coding": [{"system": system, "code": m["id"], "display": m["term"]}], "text": m["term"]})
    return out or None


# -- identifiers, titles, status -----------------------------------------------------------------------------------


@transform("identifier")
def _identifier(ctx: Context, value: str, call: Call) -> JSON:
    return {"use": call.row.arg, "system": tables.fixed(call.row.codes, ctx.version)[0], "value": value}


@transform("org_identifier")
def _org_identifier(ctx: Context, value: tuple[dict[str, str] | None, dict[str, str] | None], call: Call) -> JSON:
    ident, org = value
    if not ident:
        return None
    out: dict[str, Any] = {"use": "secondary"}
    if ident.get("type"):
        out["type"] = {"text": ident["type"]}
    out["value"] = ident["id"]
    if org:
        out["assigner"] = org_ref(ctx, org, "identification.organization")
    return out


@transform("secondary_identifier")
def _secondary_identifier(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {"use": "secondary"}
    if value.get("type"):
        out["type"] = {"text": value["type"]}
    out["value"] = value["id"]
    if value.get("domain"):
        out["assigner"] = {"display": value["domain"]}
    return out


@transform("label")
def _label(ctx: Context, value: str, call: Call) -> JSON:
    return {"type": fixed_concept(ctx, call.row.codes), "value": value}


@transform("progress_state")
def _progress_state(ctx: Context, value: str, call: Call) -> JSON:
    return {"state": concept(ctx, call.row.arg, value, call.path)}


@transform("progress_date")
def _progress_date(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {"state": fixed_concept(ctx, call.row.codes)}
    if value.get("type"):
        out["actual"] = value["type"] == "ACTUAL"
    out["period"] = {call.row.arg: value["date"]}
    return out


@transform("period")
def _period(ctx: Context, value: tuple[dict[str, str] | None, dict[str, str] | None], call: Call) -> JSON:
    start, end = value
    out = {}
    if start:
        out["start"] = start["date"]
    if end:
        out["end"] = end["date"]
    return out


# -- parties -------------------------------------------------------------------------------------------------------


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
    if value.get("phone"):
        ext = value.get("phone_ext")
        out.append({"system": "phone", "value": f"{value['phone']} ext. {ext}" if ext else value["phone"]})
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


# -- arms, interventions, outcomes ---------------------------------------------------------------------------------


@transform("arm_id")
def _arm_id(ctx: Context, value: Any, call: Call) -> JSON:
    return f"arm-{call.idx[0] + 1}"


@transform("focus")
def _focus(ctx: Context, value: dict[str, Any], call: Call) -> JSON:
    out = {"text": value["name"]}
    if value.get("type"):
        cc = concept(ctx, "intervention_type", value["type"], call.path + ".type")
        if "coding" in cc:
            return {"coding": cc["coding"], "text": value["name"]}
    return out


@transform("outcome")
def _outcome(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {"name": value["measure"], "type": [concept(ctx, "outcome_type", call.row.codes, call.path)]}
    if value.get("description"):
        out["description"] = value["description"]
    return out


_DURATION = re.compile(
    r"(?:(?P<n1>\d+(?:\.\d+)?)\s*-?\s*(?P<u1>year|month|week|day|hour|minute|min|hr)s?\b"
    r"|\b(?P<u2>year|month|week|day|hour)s?\s+(?P<n2>\d+(?:\.\d+)?)\b)",
    re.IGNORECASE,
)
_UNIT = {"min": "minutes", "hr": "hours"}


_MINUTES = {"minutes": 1, "hours": 60, "days": 1440, "weeks": 10080, "months": 43830, "years": 525960}


def duration(ctx: Context, text: str) -> dict[str, Any] | None:
    """A UCUM Duration for the latest point named in a time frame (``12 weeks``, ``Day 28``, ``up to 6 months``).

    The goal is due at the end of the time frame, so ``Day 1 to Day 28`` gives 28 days. ``None`` if nothing parses.
    """
    best: tuple[float, float | int, str] | None = None
    for m in _DURATION.finditer(text):
        number = m["n1"] or m["n2"]
        unit = (m["u1"] or m["u2"]).lower()
        unit = _UNIT.get(unit, unit + "s")
        value: float | int = float(number) if "." in number else int(number)
        if best is None or value * _MINUTES[unit] > best[0]:
            best = (value * _MINUTES[unit], value, unit)
    if best is None:
        return None
    _, value, unit = best
    ucum = crosswalk.lookup("age_unit", unit, f"fhir_{ctx.version}")
    if ucum is None:
        return None
    system = tables.fixed("ucum", ctx.version)[0]
    return {"value": value, "unit": unit if value != 1 else unit[:-1], "system": system, "code": ucum}


@transform("goal")
def _goal(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    gid = f"goal-{len(ctx.goal_ids) + 1}"
    ctx.goal_ids.append(gid)
    out: dict[str, Any] = {
        "id": gid,
        "category": {"text": f"{call.row.codes} outcome"},
        "description": {"text": value["measure"]},
        "priority": fixed_concept(ctx, f"goal-{call.row.codes}"),
    }
    if value.get("time_frame"):
        target: dict[str, Any] = {"detailCodeableConcept": {"text": value["time_frame"]}}
        if due := duration(ctx, value["time_frame"]):
            target["due"] = due
        out["target"] = [target]
    return out


def _intervention_action(ctx: Context, iv: dict[str, Any], aid: str, path: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": aid, "linkId": aid, "title": iv["name"]}
    if iv.get("description"):
        out["description"] = iv["description"]
    if iv.get("other_names"):
        out["textEquivalent"] = "Other names: " + "; ".join(iv["other_names"])
    if iv.get("type"):
        out["code"] = concept(ctx, "intervention_type", iv["type"], path + ".type")
    return out


@transform("arm_action")
def _arm_action(ctx: Context, value: tuple[dict[str, Any], list[dict[str, Any]] | None], call: Call) -> JSON:
    arm, interventions = value[0], value[1] or []
    aid = f"arm-{call.idx[0] + 1}"
    out: dict[str, Any] = {"id": aid, "linkId": aid, "title": arm["label"]}
    if arm.get("description"):
        out["description"] = arm["description"]
    if arm.get("type"):
        out["code"] = concept(ctx, "arm_type", arm["type"], call.path + ".type")
    if ctx.goal_ids:
        out["goalId"] = list(ctx.goal_ids)
    subs = []
    linked = [(i, iv) for i, iv in enumerate(interventions) if arm["label"] in iv.get("arm_group_labels", [])]
    if not linked:  # fall back to the arm's own "Type: Name" strings
        by_name = {f"{(iv.get('type') or '').replace('_', ' ').title()}: {iv['name']}".casefold(): (i, iv)
                   for i, iv in enumerate(interventions)}  # fmt: skip
        for n, text in enumerate(arm.get("intervention_names", [])):
            hit = by_name.get(text.casefold())
            linked.append(hit if hit else (-n - 1, {"name": text}))
    for i, iv in linked:
        sid = f"{aid}-intervention-{i + 1}" if i >= 0 else f"{aid}-named-{-i}"
        subs.append(_intervention_action(ctx, iv, sid, f"interventions[{i}]"))
    if subs:
        out["action"] = subs
    return out


@transform("intervention_action")
def _intervention_action_t(ctx: Context, value: dict[str, Any], call: Call) -> JSON:
    out = _intervention_action(ctx, value, f"intervention-{call.idx[0] + 1}", call.path)
    if ctx.goal_ids:
        out["goalId"] = list(ctx.goal_ids)
    return out


# -- eligibility ---------------------------------------------------------------------------------------------------


@transform("eligibility_name")
def _eligibility_name(ctx: Context, value: str, call: Call) -> JSON:
    return f"Eligibility: {value}"


def _age(ctx: Context, age: dict[str, Any]) -> dict[str, Any]:
    ucum = crosswalk.lookup("age_unit", age["unit"], f"fhir_{ctx.version}")
    return {
        "value": age["value"],
        "unit": age["unit"],
        "system": crosswalk.system("age_unit", f"fhir_{ctx.version}"),
        "code": ucum,
    }


@transform("age_range")
def _age_range(ctx: Context, value: tuple[dict[str, Any] | None, dict[str, Any] | None], call: Call) -> JSON:
    low, high = value
    rng = {}
    if low:
        rng["low"] = _age(ctx, low)
    if high:
        rng["high"] = _age(ctx, high)
    return {"code": fixed_concept(ctx, call.row.codes), "valueRange": rng, "exclude": False}


@transform("sex")
def _sex(ctx: Context, value: str, call: Call) -> JSON:
    cc = concept(ctx, "sex", value, call.path)
    if "coding" not in cc and crosswalk.known("sex", value):
        return None  # ALL: no restriction
    return {"code": fixed_concept(ctx, call.row.codes), "valueCodeableConcept": cc, "exclude": False}


@transform("boolean_characteristic")
def _boolean_characteristic(ctx: Context, value: bool, call: Call) -> JSON:
    return {"code": fixed_concept(ctx, call.row.codes), "valueBoolean": bool(value), "exclude": False}


@transform("criterion")
def _criterion(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    """A criterion as a characteristic; its group (sub-heading) in the extension named by the row argument."""
    out: dict[str, Any] = {}
    if value.get("group"):
        url, value_type = tables.extensions()[call.row.arg]
        out["extension"] = [{"url": url, f"value{(value_type or 'string').capitalize()}": value["group"]}]
    out.update({"code": {"text": value["text"]}, "valueBoolean": True, "exclude": value["kind"] == "exclusion"})
    return out


# -- related artifacts ---------------------------------------------------------------------------------------------


def _pubmed(ctx: Context, pmid: str) -> str:
    return tables.fixed("pubmed", ctx.version)[0].format(pmid)


@transform("citation")
def _citation(ctx: Context, value: dict[str, Any], call: Call) -> JSON:
    out: dict[str, Any] = {"type": "citation"}
    if value.get("type"):
        out["label"] = value["type"]
    if value.get("citation"):
        out["citation"] = value["citation"]
    if value.get("pmid"):
        out["document"] = {"url": _pubmed(ctx, value["pmid"])}
    items = [out]
    for r in value.get("retractions", []):
        ret: dict[str, Any] = {"type": "citation", "label": "retraction"}
        if r.get("source"):
            ret["display"] = r["source"]
        if r.get("pmid"):
            ret["document"] = {"url": _pubmed(ctx, r["pmid"])}
        items.append(ret)
    return items


@transform("link")
def _link(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {"type": "documentation"}
    if value.get("label"):
        out["display"] = value["label"]
    out["document"] = {"url": value["url"]}
    return out


@transform("ipd_link")
def _ipd_link(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {"type": "documentation"}
    if value.get("id"):
        out["label"] = value["id"]
    display = ": ".join(v for v in (value.get("type"), value.get("comment")) if v)
    if display:
        out["display"] = display
    if value.get("url"):
        out["document"] = {"url": value["url"]}
    return out
