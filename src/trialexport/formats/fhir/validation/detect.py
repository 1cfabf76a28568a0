"""Tell FHIR R5 from R4 by a resource's content."""

from __future__ import annotations

from functools import cache

from ..versions import release_of_fhir_version
from .pieces import JSON
from .schema import load_schema, resource_types

# Quick markers (top-level element names) that exist in only one version, by resource type.
_R5_ONLY = {
    "ResearchStudy": {
        "progressStatus",
        "comparisonGroup",
        "associatedParty",
        "recruitment",
        "label",
        "outcomeMeasure",
        "classifier",
        "studyDesign",
        "region",
        "whyStopped",
        "descriptionSummary",
        "result",
        "name",
    },
    "Group": {"membership"},
    "Location": {"virtualService", "characteristic", "form", "contact"},
    "Organization": {"qualification", "description"},
    "Bundle": {"issues"},
    "EvidenceVariable": {"handling", "actual", "category"},
}
_R4_ONLY = {
    "ResearchStudy": {
        "arm",
        "enrollment",
        "sponsor",
        "principalInvestigator",
        "location",
        "reasonStopped",
        "contact",
        "category",
    },
    "Group": {"actual"},
    "Location": {"telecom", "physicalType", "availabilityExceptions"},
    "Organization": {"telecom", "address"},
    "EvidenceVariable": {"subtitle", "type"},
}


def _all_resources(obj: JSON) -> list[JSON]:
    found: list[JSON] = []
    todo = [obj]
    while todo:
        res = todo.pop()
        if not isinstance(res, dict):
            continue
        found.append(res)
        entries = res.get("entry") if res.get("resourceType") == "Bundle" else None
        if isinstance(entries, list):
            todo.extend(e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict))
        contained = res.get("contained")
        if isinstance(contained, list):
            todo.extend(contained)
    return found


def _score(resources: list[JSON], r5: dict[str, set[str]] | None, r4: dict[str, set[str]] | None) -> tuple[int, int]:
    s5 = s4 = 0
    for res in resources:
        rtype = res.get("resourceType")
        if not isinstance(rtype, str):
            continue
        keys = set(res)
        if r5 is not None and r4 is not None:
            s5 += len(keys & r5.get(rtype, set()))
            s4 += len(keys & r4.get(rtype, set()))
        for profile in (res.get("meta") or {}).get("profile") or ():
            if isinstance(profile, str):
                s5 += profile.endswith(("|5.0.0", "|5.0")) or "/R5/" in profile
                s4 += profile.endswith(("|4.0.1", "|4.0")) or "/R4/" in profile
    return s5, s4


@cache
def _schema_markers() -> tuple[frozenset[str], frozenset[str], dict[str, set[str]], dict[str, set[str]]]:
    d5, d4 = load_schema("r5")["definitions"], load_schema("r4")["definitions"]
    t5, t4 = resource_types("r5"), resource_types("r4")
    only5: dict[str, set[str]] = {}
    only4: dict[str, set[str]] = {}
    for t in t5 & t4:
        p5, p4 = set(d5[t].get("properties", {})), set(d4[t].get("properties", {}))
        only5[t], only4[t] = p5 - p4, p4 - p5
    return t5 - t4, t4 - t5, only5, only4


def _declared(resources: list[JSON]) -> tuple[str, str] | None:
    """A version a conformance resource declares in ``fhirVersion`` (CapabilityStatement, StructureDefinition,
    ImplementationGuide): ``(version, "fhirVersion 4.0.1")``."""
    for res in resources:
        declared = res.get("fhirVersion")
        for value in declared if isinstance(declared, list) else [declared]:
            if isinstance(value, str) and (version := release_of_fhir_version(value)):
                return version, f"{res.get('resourceType')}.fhirVersion {value}"
    return None


def detect_fhir_version_why(obj: JSON) -> tuple[str | None, str]:
    """:func:`detect_fhir_version` and why: ``("r4", "R4-only elements or profiles")``; ``(None, reason)`` when
    nothing tells the versions apart."""
    if not isinstance(obj, dict) or not isinstance(obj.get("resourceType"), str):
        return None, "not a FHIR resource"
    resources = _all_resources(obj)
    if (declared := _declared(resources)) is not None:
        return declared
    s5, s4 = _score(resources, _R5_ONLY, _R4_ONLY)
    if bool(s5) != bool(s4):
        return ("r5", "R5-only elements or profiles") if s5 else ("r4", "R4-only elements or profiles")
    types5, types4, only5, only4 = _schema_markers()
    kinds = {t for res in resources if isinstance(t := res.get("resourceType"), str)}
    s5 += len(kinds & types5)
    s4 += len(kinds & types4)
    g5, g4 = _score(resources, only5, only4)
    s5, s4 = s5 + g5, s4 + g4
    if bool(s5) != bool(s4):
        return ("r5", "R5-only resource types or elements") if s5 else ("r4", "R4-only resource types or elements")
    from .validate import validate_fhir

    e5, e4 = len(validate_fhir(obj, "r5")), len(validate_fhir(obj, "r4"))
    if e5 != e4:
        return ("r5" if e5 < e4 else "r4"), f"fewer findings as {'R5' if e5 < e4 else 'R4'} ({min(e5, e4)} vs " \
            f"{max(e5, e4)})"
    return None, "nothing in the content tells R5 from R4"


def detect_fhir_version(obj: JSON) -> str | None:
    """Tell R5 from R4 by content: a declared ``fhirVersion``, version-only elements/resource types, versioned
    ``meta.profile`` canonicals, and, if still undecided, which schema validates (fewer errors). ``None`` when nothing
    tells them apart."""
    return detect_fhir_version_why(obj)[0]
