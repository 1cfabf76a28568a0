"""The FHIR transform registry and the code helpers every FHIR transform uses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialexport.mapkit import crosswalk
from trialexport.mapkit.countries import alpha2
from trialexport.mapkit.transforms import Call, TransformRegistry

from .. import tables

if TYPE_CHECKING:
    from ..context import Context

JSON = Any

TRANSFORMS = TransformRegistry("fhir")
transform = TRANSFORMS.register


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


def concept(ctx: Context, xwalk: str, value: Any, path: str, column: str = "") -> dict[str, Any]:
    """CodeableConcept for a registry value: the crosswalk's FHIR coding, its NCI Thesaurus coding (a second coding of
    the same concept, where the crosswalk has one that is not wider: TRIPLE masking is not "double blind") and the
    registry value as text.

    ``column``: the crosswalk column (default ``fhir_<version>``). A list (``phases``) is looked up joined by ``|``.
    An unknown value is kept as text and warned about.
    """
    key = "|".join(value) if isinstance(value, list) else str(value)
    text = ", ".join(value) if isinstance(value, list) else str(value)
    column = column or f"fhir_{ctx.version}"
    found = crosswalk.code(xwalk, key)
    if found is None:
        ctx.report("MAP-UNKNOWN-CODE", crosswalk.unknown_message(f"crosswalks/{xwalk}", key), path)
        return {"text": text}
    codings = []
    if code := found.target(column):
        codings.append({"system": crosswalk.system(xwalk, column), "code": code})
    if (nci := found.target("nci")) and found.cdisc_match != "wider":
        codings.append({"system": crosswalk.system(xwalk, "nci"), "code": nci})
    return {"coding": codings, "text": text} if codings else {"text": text}


def code(ctx: Context, xwalk: str, value: str, path: str) -> str | None:
    """A bare ``code`` from a crosswalk, or ``None`` (unknown values warned about)."""
    if not crosswalk.known(xwalk, value):
        ctx.report("MAP-UNKNOWN-CODE", crosswalk.unknown_message(f"crosswalks/{xwalk}", value), path)
        return None
    return crosswalk.lookup(xwalk, value, f"fhir_{ctx.version}")


def camel(name: str) -> str:
    """``info_types`` -> ``infoTypes`` (model field -> extension part)."""
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def country_code(name: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a registry country name, or ``None``."""
    return alpha2(name)


@transform("const")
def _const(ctx: Context, value: Any, call: Call) -> JSON:
    return call.row.codes


@transform("const_bool")
def _const_bool(ctx: Context, value: Any, call: Call) -> JSON:
    return call.row.codes == "true"


@transform("resource_id")
def _resource_id(ctx: Context, value: Any, call: Call) -> JSON:
    kind = call.row.target.kind
    return ctx.resource(kind, call.idx[: kind.count("[]")])["id"]


@transform("text")
def _text(ctx: Context, value: Any, call: Call) -> JSON:
    return str(value)


@transform("integer")
def _integer(ctx: Context, value: Any, call: Call) -> JSON:
    return int(value)


@transform("boolean")
def _boolean(ctx: Context, value: Any, call: Call) -> JSON:
    return bool(value)


@transform("date_value")
def _date_value(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    return value["date"]


@transform("display_ref")
def _display_ref(ctx: Context, value: str, call: Call) -> JSON:
    return {"display": value}


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


@transform("parts")
def _parts(ctx: Context, value: dict[str, Any], call: Call) -> JSON:
    return {camel(k): v for k, v in value.items() if v not in (None, "", [])} or None


@transform("countries", aggregate=True)
def _countries(ctx: Context, value: list[str], call: Call) -> JSON:
    system = tables.fixed(call.row.codes, ctx.version)[0]
    out = []
    for name in dict.fromkeys(value):
        iso = country_code(name)
        out.append({"coding": [{"system": system, "code": iso}], "text": name} if iso else {"text": name})
    return out


@transform("country_code")
def _country_code(ctx: Context, value: str, call: Call) -> JSON:
    iso = country_code(value)
    if iso is None:
        ctx.report("MAP-UNKNOWN-CODE", f"country {value!r} is not in mappings/odm/countries.csv: kept as written",
                   call.path)
        return value
    return iso


def mesh_coding(ctx: Context, m: dict[str, str]) -> dict[str, str]:
    """The MeSH Coding of a derived term."""
    return {"system": tables.fixed("mesh", ctx.version)[0], "code": m["id"], "display": m["term"]}
