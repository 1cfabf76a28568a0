"""The FHIR transform registry and the code helpers every FHIR transform uses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialexport.mapkit import crosswalk
from trialexport.mapkit.transforms import Call, TransformRegistry
from trialexport.mapkit.values import match_mesh

from .. import tables

if TYPE_CHECKING:
    from ..engine import Context

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


def concept(ctx: Context, xwalk: str, value: Any, path: str) -> dict[str, Any]:
    """CodeableConcept for a registry value: crosswalk coding + registry value as text.

    A list (``phases``) is looked up joined by ``|``. An unknown value is kept as text and warned about.
    """
    key = "|".join(value) if isinstance(value, list) else str(value)
    text = ", ".join(value) if isinstance(value, list) else str(value)
    column = f"fhir_{ctx.version}"
    if not crosswalk.known(xwalk, key):
        ctx.report("MAP-UNKNOWN-CODE", crosswalk.unknown_message(f"crosswalks/{xwalk}", key), path)
        return {"text": text}
    code = crosswalk.lookup(xwalk, key, column)
    if code is None:
        return {"text": text}
    return {"coding": [{"system": crosswalk.system(xwalk, column), "code": code}], "text": text}


def code(ctx: Context, xwalk: str, value: str, path: str) -> str | None:
    """A bare ``code`` from a crosswalk, or ``None`` (unknown values warned about)."""
    if not crosswalk.known(xwalk, value):
        ctx.report("MAP-UNKNOWN-CODE", crosswalk.unknown_message(f"crosswalks/{xwalk}", value), path)
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
    system = tables.fixed("mesh", ctx.version)[0]
    pairs, unmatched = match_mesh(value[0] or [], value[1] or [])
    out: list[dict[str, Any]] = []
    for name, m in pairs:
        if m:
            out.append({"coding": [{"system": system, "code": m["id"], "display": m["term"]}], "text": name})
        else:
            out.append({"text": name})
    for m in unmatched:
        out.append({"coding": [{"system": system, "code": m["id"], "display": m["term"]}], "text": m["term"]})
    return out or None
