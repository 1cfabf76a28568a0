"""Arms, interventions and outcomes: the protocol's actions and goals, the study's foci and comparison groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialexport.mapkit import crosswalk
from trialexport.mapkit.durations import latest_point
from trialexport.mapkit.transforms import Call
from trialexport.mapkit.values import match_mesh, other_names_text

from .. import tables
from ..extensions import extension
from .base import JSON, concept, fixed_concept, mesh_coding, transform

if TYPE_CHECKING:
    from ..context import Context


@transform("arm_id")
def _arm_id(ctx: Context, value: Any, call: Call) -> JSON:
    return f"arm-{call.idx[0] + 1}"


def _names(item: Any) -> list[str]:
    """The names a derived MeSH term may spell: a condition, or an intervention's name and other names."""
    if isinstance(item, dict):
        return [item["name"], *item.get("other_names", [])]
    return [item]


@transform("conditions")
def _conditions(ctx: Context, value: tuple[list[str] | None, list[dict[str, str]] | None], call: Call) -> JSON:
    pairs, _ = match_mesh(value[0] or [], value[1] or [])
    out = [{"coding": [mesh_coding(ctx, m)], "text": name} if m else {"text": name} for name, m in pairs]
    return out or None


@transform("unmatched_mesh")
def _unmatched_mesh(ctx: Context, value: tuple[list[Any] | None, list[dict[str, str]] | None], call: Call) -> JSON:
    names = [n for item in value[0] or [] for n in _names(item)]
    _, unmatched = match_mesh(names, value[1] or [])
    return [mesh_coding(ctx, m) for m in unmatched] or None


@transform("focus")
def _focus(ctx: Context, value: tuple[list[dict[str, Any]] | None, list[dict[str, str]] | None], call: Call) -> JSON:
    out = []
    for i, iv in enumerate(value[0] or []):
        codings = []
        if iv.get("type"):
            codings = concept(ctx, "intervention_type", iv["type"], f"interventions[{i}].type").get("coding", [])
        pairs, _ = match_mesh(_names(iv), value[1] or [])
        codings += [mesh_coding(ctx, m) for _, m in pairs if m]
        cc: dict[str, Any] = {"coding": codings, "text": iv["name"]} if codings else {"text": iv["name"]}
        out.append({"concept": cc} if ctx.version == "r5" else cc)
    return out or None


@transform("intended_exposure")
def _intended_exposure(ctx: Context, value: tuple[dict[str, Any], list[dict[str, Any]] | None], call: Call) -> JSON:
    arm, interventions = value[0], value[1] or []
    names = [iv["name"] for iv in interventions if arm["label"] in iv.get("arm_group_labels", [])]
    if not names:
        names = list(arm.get("intervention_names", []))
    return [{"display": n} for n in names] or None


@transform("outcome")
def _outcome(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {"name": value["measure"], "type": [concept(ctx, "outcome_type", call.row.codes, call.path)]}
    if value.get("description"):
        out["description"] = value["description"]
    return out


def duration(ctx: Context, text: str) -> dict[str, Any] | None:
    """A UCUM Duration for the latest point named in a time frame (:func:`~trialexport.mapkit.durations.latest_point`);
    ``None`` if nothing parses."""
    point = latest_point(text)
    if point is None:
        return None
    value, unit = point
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
        target: dict[str, Any] = {"extension": [extension("time-frame", value["time_frame"])]}
        if due := duration(ctx, value["time_frame"]):
            target["due"] = due
        out["target"] = [target]
    return out


def _intervention_action(ctx: Context, iv: dict[str, Any], aid: str, path: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if iv.get("other_names"):
        out["extension"] = [extension("other-name", n) for n in iv["other_names"]]
    out.update(id=aid, linkId=aid, title=iv["name"])
    if iv.get("description"):
        out["description"] = iv["description"]
    if iv.get("other_names"):
        out["textEquivalent"] = other_names_text(iv["other_names"])
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
