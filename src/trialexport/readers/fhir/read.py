"""Assemble the model data of one study from its Bundle entries."""

from __future__ import annotations

from typing import Any

from . import people, protocol, study
from .index import index, r5_study, study_version


def bundle_to_data(entries: list[dict[str, Any]], resource: dict[str, Any]) -> dict[str, Any]:
    """The model-shaped dict of the ResearchStudy ``resource`` (R5 or R4) with the resources of ``entries``."""
    version = study_version(resource)
    rs = resource if version == "r5" else r5_study(resource)
    idx = index(entries, version)
    plan = protocol.by_reference(idx, rs.get("protocol", []))
    recruitment = rs.get("recruitment")
    recruitments = recruitment if isinstance(recruitment, list) else [recruitment or {}]
    elig_refs = [r["eligibility"] for r in recruitments if r.get("eligibility")]
    group = protocol.by_reference(idx, elig_refs or rs.get("enrollment", []))
    design, sampling = study.design(rs)
    parties = people.parties(rs, idx)
    data: dict[str, Any] = {
        "identification": study.identification(rs, idx),
        "status": study.status(rs),
        "sponsors": parties["sponsors"],
        "description": {k: v for k, v in (("brief_summary", _first(rs.get("descriptionSummary"))),
                                          ("detailed_description", rs.get("description"))) if v},
        "conditions": study.conditions(rs),
        "design": design,
        **protocol.arms_and_interventions(rs, plan),
        "outcomes": protocol.outcomes(rs, plan),
        "eligibility": protocol.eligibility(group),
        "central_contacts": parties["central_contacts"],
        "overall_officials": parties["overall_officials"],
        "locations": people.sites(rs, idx, parties["site_contacts"]),
        **study.artifacts(rs),
        **study.statements(rs),
    }  # fmt: skip
    if sampling:
        data["eligibility"]["sampling_method"] = sampling
    return {k: v for k, v in data.items() if v not in ({}, [], None)}


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value
