"""Coverage measured by reading: a trial written as ODM and read back, compared field by field.

Every populated leaf of the trial (``extras`` aside) counts; it is *found* when the trial read back from the document
holds the same value at the same model path (list items compared as multisets per path: order is the writer's). A
country counts as found when the read name is the same ISO 3166 country (the registry spells some countries two
ways). :func:`module_shares` groups the leaves by the registry module they come from (identificationModule ...).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from trialexport.mapkit.countries import alpha2_by_name
from trialexport.model import Trial

#: model top-level key (or key.sub) -> ClinicalTrials.gov API v2 module it is read from
MODULES = {
    "identification": "identificationModule", "status": "statusModule", "sponsors": "sponsorCollaboratorsModule",
    "oversight": "oversightModule", "description": "descriptionModule", "conditions": "conditionsModule",
    "conditions.condition_mesh": "conditionBrowseModule (derived)",
    "conditions.intervention_mesh": "interventionBrowseModule (derived)", "design": "designModule",
    "arms": "armsInterventionsModule", "interventions": "armsInterventionsModule", "outcomes": "outcomesModule",
    "eligibility": "eligibilityModule", "central_contacts": "contactsLocationsModule",
    "overall_officials": "contactsLocationsModule", "locations": "contactsLocationsModule",
    "references": "referencesModule", "see_also_links": "referencesModule", "avail_ipds": "referencesModule",
    "ipd_sharing": "ipdSharingStatementModule", "has_results": "hasResults",
}


def leaves(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """``(normalized path, value)`` of every populated leaf (``arms[].label``)."""
    out: list[tuple[str, Any]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            out += leaves(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(data, list):
        for item in data:
            out += leaves(item, prefix + "[]")
    elif data is not None and data != "":
        out.append((prefix, data))
    return out


def _comparable(path: str, value: Any) -> Any:
    if path == "locations[].country":
        return alpha2_by_name().get(value, value)
    return value


@dataclass
class Comparison:
    """Per normalized path: how many populated values the original has, and how many of them were read back."""

    populated: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)

    def missing(self) -> dict[str, int]:
        return {p: n - self.found[p] for p, n in self.populated.items() if self.found[p] < n}


def compare(original: Trial, read: Trial | None) -> Comparison:
    """How much of ``original`` the trial read back holds (``None``: nothing)."""
    out = Comparison()
    got: dict[str, Counter[Any]] = {}
    for path, value in leaves(read.to_data() if read else {}):
        got.setdefault(path, Counter())[_comparable(path, value)] += 1
    for path, value in leaves(original.to_data()):
        if path.startswith("extras"):
            continue
        out.populated[path] += 1
        bag = got.get(path)
        key = _comparable(path, value)
        if bag and bag[key] > 0:
            bag[key] -= 1
            out.found[path] += 1
    return out


def module_of(path: str) -> str:
    """The registry module a model path comes from."""
    head = re.sub(r"\[\]", "", path)
    for key in (".".join(head.split(".")[:2]), head.split(".")[0]):
        if key in MODULES:
            return MODULES[key]
    return head.split(".")[0]


def module_shares(comparisons: list[Comparison]) -> dict[str, tuple[int, int]]:
    """``{module: (found, populated)}`` over many trials."""
    out: dict[str, list[int]] = {}
    for c in comparisons:
        for path, n in c.populated.items():
            slot = out.setdefault(module_of(path), [0, 0])
            slot[0] += c.found[path]
            slot[1] += n
    return {m: (f, p) for m, (f, p) in sorted(out.items())}
