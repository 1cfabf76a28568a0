"""Eligibility: the Group's characteristics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialexport.mapkit import crosswalk
from trialexport.mapkit.transforms import Call

from .. import tables
from .base import JSON, concept, fixed_concept, transform

if TYPE_CHECKING:
    from ..context import Context


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
