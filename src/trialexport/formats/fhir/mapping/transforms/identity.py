"""Identifiers, titles, status and dates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialexport.mapkit import crosswalk
from trialexport.mapkit.transforms import Call

from .. import tables
from ..extensions import extension
from .base import JSON, concept, fixed_concept, transform
from .parties import org_ref

if TYPE_CHECKING:
    from ..context import Context


@transform("identifier")
def _identifier(ctx: Context, value: str, call: Call) -> JSON:
    return {"use": call.row.arg, "system": tables.fixed(call.row.codes, ctx.version)[0], "value": value}


def _secondary(value: dict[str, str], use: str = "secondary") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if value.get("link"):
        out["extension"] = [extension("identifier-link", value["link"])]
    out["use"] = use
    if value.get("type"):
        out["type"] = {"text": value["type"]}
    out["value"] = value["id"]
    return out


@transform("org_identifier")
def _org_identifier(ctx: Context, value: tuple[dict[str, str] | None, dict[str, str] | None], call: Call) -> JSON:
    ident, org = value
    if not ident:
        return None
    out = _secondary(ident, "usual")  # the sponsor's own id for the study
    if org:
        out["assigner"] = org_ref(ctx, org, "identification.organization")
    return out


@transform("secondary_identifier")
def _secondary_identifier(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out = _secondary(value)
    if value.get("domain"):
        out["assigner"] = {"display": value["domain"]}
    return out


@transform("label")
def _label(ctx: Context, value: str, call: Call) -> JSON:
    return {"type": fixed_concept(ctx, call.row.codes), "value": value}


def state(ctx: Context, xwalk: str, value: str, path: str) -> dict[str, Any]:
    """A progressStatus state: the R5 research-study-status code in both versions (the cross-version value set
    expects the R5 codes) and the registry value as text."""
    return concept(ctx, xwalk, value, path, column="fhir_r5")


@transform("progress_state")
def _progress_state(ctx: Context, value: str, call: Call) -> JSON:
    return {"state": state(ctx, call.row.arg, value, call.path)}


@transform("last_known_status")
def _last_known_status(ctx: Context, value: tuple[str | None, str | None], call: Call) -> JSON:
    status, verified = value
    if not status:
        return None
    out: dict[str, Any] = {"state": state(ctx, call.row.arg, status, "status.last_known_status"), "actual": True}
    if verified:
        out["period"] = {"end": verified}
    return out


@transform("absent_status")
def _absent_status(ctx: Context, value: Any, call: Call) -> JSON:
    status = (ctx.data.get("status") or {}).get("overall_status")
    if status and crosswalk.lookup(call.row.arg, status, f"fhir_{ctx.version}"):
        return None
    return {"extension": [extension("data-absent-reason", "unknown")]}


@transform("progress_date")
def _progress_date(ctx: Context, value: dict[str, str] | str, call: Call) -> JSON:
    out: dict[str, Any] = {"state": fixed_concept(ctx, call.row.codes)}
    date = value
    if isinstance(value, dict):  # a DateInfo: typed ACTUAL / ESTIMATED, or untyped
        if value.get("type"):
            out["actual"] = value["type"] == "ACTUAL"
        date = value["date"]
    out["period"] = {call.row.arg: date}
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
