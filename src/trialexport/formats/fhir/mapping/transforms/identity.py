"""Identifiers, titles, status and dates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialexport.mapkit.transforms import Call

from .. import tables
from .base import JSON, concept, fixed_concept, transform
from .parties import org_ref

if TYPE_CHECKING:
    from ..engine import Context


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
