"""Arms and interventions (PlanDefinition actions, else the study's comparison groups and foci), outcomes (with the
time frames of the PlanDefinition goals) and eligibility (the Group)."""

from __future__ import annotations

import re
from typing import Any

from trialexport.formats.fhir.mapping import tables

from .index import Index, ext_values, first, registry_value

_INTERVENTION = re.compile(r"(?:^|-)intervention-(\d+)$")
_OTHER_NAMES = "Other names: "  # mapkit.values.other_names_text
_OUTCOME_KINDS = {"primary": "primary", "secondary": "secondary", "exploratory": "other"}


def _type_title(kind: str) -> str:
    return kind.replace("_", " ").title()


def arms_and_interventions(study: dict[str, Any], plan: dict[str, Any] | None) -> dict[str, Any]:
    """``arms`` and ``interventions``; an intervention's arms are the arm actions it is an action of."""
    arms: list[dict[str, Any]] = []
    for group in study.get("comparisonGroup", []):
        arm: dict[str, Any] = {"label": group.get("name")}
        kind = registry_value("arm_type", group.get("type"))
        if kind:
            arm["type"] = kind
        if group.get("description"):
            arm["description"] = group["description"]
        arms.append(arm)
    found: dict[int, dict[str, Any]] = {}
    actions = (plan or {}).get("action", [])
    for a, action in enumerate(actions):
        subs = action.get("action") if arms else [action]
        for sub in subs or []:
            m = _INTERVENTION.search(sub.get("id", ""))
            iv = _intervention(sub)
            if m:
                iv = found.setdefault(int(m.group(1)) - 1, iv)
            if arms and a < len(arms):
                iv.setdefault("arm_group_labels", []).append(arms[a]["label"])
                name = f"{_type_title(iv['type'])}: {iv['name']}" if iv.get("type") else sub.get("title")
                arms[a].setdefault("intervention_names", []).append(name)
    focus = [f.get("concept") or {} for f in study.get("focus", [])]
    interventions = []
    for i, cc in enumerate(focus):
        iv = found.get(i) or {"name": cc.get("text")}
        if "type" not in iv and (kind := registry_value("intervention_type", cc)) and kind != cc.get("text"):
            iv["type"] = kind
        interventions.append(iv)
    return {"arms": arms, "interventions": interventions or [found[k] for k in sorted(found)]}


def _intervention(action: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kind = registry_value("intervention_type", first(action.get("code")))
    if kind:
        out["type"] = kind
    out["name"] = action.get("title")
    if action.get("description"):
        out["description"] = action["description"]
    names = ext_values(action, "other-name")
    text = action.get("textEquivalent") or ""
    if not names and text.startswith(_OTHER_NAMES):  # a Bundle without the extension
        names = text[len(_OTHER_NAMES):].split("; ")
    if names:
        out["other_names"] = names
    return out


def outcomes(study: dict[str, Any], plan: dict[str, Any] | None) -> dict[str, Any]:
    """``outcomes`` by kind; time frames from the PlanDefinition goals (same order)."""
    goals = (plan or {}).get("goal", [])
    out: dict[str, list[dict[str, Any]]] = {}
    for i, measure in enumerate(study.get("outcomeMeasure", [])):
        item: dict[str, Any] = {"measure": measure.get("name")}
        if measure.get("description"):
            item["description"] = measure["description"]
        if i < len(goals):
            for target in goals[i].get("target", []):
                for frame in ext_values(target, "time-frame"):
                    item["time_frame"] = frame
        code = next((c.get("code") for t in measure.get("type", []) for c in t.get("coding", [])), "primary")
        out.setdefault(_OUTCOME_KINDS.get(code, "other"), []).append(item)
    return out


def eligibility(group: dict[str, Any] | None) -> dict[str, Any]:
    """``eligibility`` from the Group: criteria text (R5 description), population, age range, sex, healthy
    volunteers, and one criterion per remaining characteristic."""
    if not group:
        return {}
    out: dict[str, Any] = {}
    if group.get("description"):
        out["criteria_text"] = group["description"]
    for text in ext_values(group, "study-population"):
        out["study_population"] = text
    age, sex, healthy = (tables.fixed(n, "r5")[1] for n in ("age", "sex", "healthy-volunteers"))
    criteria = []
    for ch in group.get("characteristic", []):
        codes = {c.get("code") for c in (ch.get("code") or {}).get("coding", [])}
        if age in codes:
            for end, field in (("low", "minimum_age"), ("high", "maximum_age")):
                q = (ch.get("valueRange") or {}).get(end)
                if q and "value" in q:
                    out[field] = {"value": q["value"], "unit": q.get("unit")}
        elif sex in codes:
            value = registry_value("sex", ch.get("valueCodeableConcept"))
            if value:
                out["sex"] = value
        elif healthy in codes:
            out["healthy_volunteers"] = ch.get("valueBoolean")
        elif (ch.get("code") or {}).get("text"):
            crit = {"kind": "exclusion" if ch.get("exclude") else "inclusion", "text": ch["code"]["text"]}
            for group_name in ext_values(ch, "criterion-group"):
                crit["group"] = group_name
            criteria.append(crit)
    if criteria:
        out["criteria"] = criteria
    return out


def by_reference(idx: Index, refs: Any) -> dict[str, Any] | None:
    """The first resource any of ``refs`` (a Reference or a list of them) points at."""
    for ref in refs if isinstance(refs, list) else [refs]:
        found = idx.get(ref)
        if found is not None:
            return found
    return None
