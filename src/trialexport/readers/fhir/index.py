"""A Bundle's resources by reference, and an R4 ResearchStudy in the R5 shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from trialexport.formats.fhir.mapping import tables
from trialexport.mapkit import crosswalk

R5_ONLY = frozenset({"progressStatus", "label", "associatedParty", "recruitment", "comparisonGroup", "studyDesign",
                     "descriptionSummary", "outcomeMeasure", "region", "classifier", "whyStopped"})  # fmt: skip
XVER = "http://hl7.org/fhir/5.0/StructureDefinition/extension-"
# R4 element -> its R5 name (ResearchStudy)
R4_RENAMES = {"arm": "comparisonGroup", "reasonStopped": "whyStopped", "location": "region", "category": "studyDesign"}


@dataclass
class Index:
    """The resources of one Bundle, by ``fullUrl`` and by ``Type/id``."""

    version: str
    by_ref: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get(self, ref: Any) -> dict[str, Any] | None:
        """The resource a Reference (or reference string) points at, or ``None``."""
        if isinstance(ref, dict):
            ref = ref.get("reference")
        if not isinstance(ref, str):
            return None
        return self.by_ref.get(ref) or self.by_ref.get(ref.rsplit("/_history/", 1)[0])


def index(entries: list[dict[str, Any]], version: str) -> Index:
    """Index the entries' resources (contained resources of the study too)."""
    idx = Index(version)
    for entry in entries:
        res = entry.get("resource")
        if not isinstance(res, dict):
            continue
        if isinstance(entry.get("fullUrl"), str):
            idx.by_ref[entry["fullUrl"]] = res
        if res.get("id"):
            idx.by_ref[f"{res.get('resourceType')}/{res['id']}"] = res
        for inner in res.get("contained", []) if isinstance(res.get("contained"), list) else []:
            if isinstance(inner, dict) and inner.get("id"):
                idx.by_ref[f"#{inner['id']}"] = inner
    return idx


def study_version(study: dict[str, Any]) -> str:
    """``r5`` when the study has an element only R5 has, else ``r4``."""
    return "r5" if study.keys() & R5_ONLY else "r4"


def value_of(ext: dict[str, Any]) -> Any:
    """The ``value[x]`` of an extension (or ``None``)."""
    for key, value in ext.items():
        if key.startswith("value"):
            return value
    return None


@cache
def _complex() -> dict[str, frozenset[str]]:
    """Cross-version URL -> the parts that repeat (0..*), for the complex ones."""
    return {d.url: frozenset(p[0] for p in d.parts if p[3] == "*")
            for d in tables.extension_defs().values() if not d.value_type}  # fmt: skip


def from_extension(ext: dict[str, Any]) -> Any:
    """An extension's content in the R5 shape: its value, or a dict of its parts (repeating parts as lists)."""
    if "extension" not in ext:
        return value_of(ext)
    repeats = _complex().get(ext.get("url", ""), frozenset())
    out: dict[str, Any] = {}
    for sub in ext["extension"]:
        key, value = sub.get("url"), from_extension(sub)
        if key in repeats:
            out.setdefault(key, []).append(value)
        else:
            out[key] = value
    return out


def r5_study(study: dict[str, Any]) -> dict[str, Any]:
    """An R4 ResearchStudy as R5 elements: cross-version extensions back to elements, renamed R4 elements."""
    out = {R4_RENAMES.get(k, k): v for k, v in study.items() if k != "extension"}
    rest = []
    for ext in study.get("extension", []):
        url = ext.get("url", "")
        if url.startswith(XVER + "ResearchStudy."):
            element = url[len(XVER + "ResearchStudy."):]
            out.setdefault(element, []).append(from_extension(ext))
        else:
            rest.append(ext)
    if rest:
        out["extension"] = rest
    out["focus"] = [{"concept": f} for f in study.get("focus", [])]
    for artifact in out.get("relatedArtifact", []):
        for ext in artifact.pop("extension", []):
            name = ext.get("url", "")[len(XVER + "RelatedArtifact."):]
            if name == "classifier":
                artifact.setdefault("classifier", []).append(value_of(ext))
            elif name:
                artifact[name] = value_of(ext)
    return out


def first(value: Any) -> Any:
    """The element of a 0..1 element carried as a list of extensions (R4), or the element itself (R5)."""
    return value[0] if isinstance(value, list) and value else value


def ext_values(resource: dict[str, Any], name: str) -> list[Any]:
    """The values (or part dicts) of the extension ``name`` (``extensions.csv``) on a resource or element."""
    url = tables.extensions()[name][0]
    return [from_extension(e) for e in resource.get("extension", []) if e.get("url") == url]


def registry_value(xwalk: str, concept: dict[str, Any] | None, column: str = "") -> str | None:
    """The registry value a CodeableConcept stands for: its text when the crosswalk lists it, else the value whose
    code (FHIR or NCIt) one of its codings has."""
    if not concept:
        return None
    text = concept.get("text")
    if text and crosswalk.known(xwalk, text):
        return str(text)
    for coding in concept.get("coding", []):
        for value, code in crosswalk.table(xwalk).items():
            if coding.get("code") and coding.get("code") in (code.fhir_r5, code.fhir_r4, code.nci):
                return value
    return str(text) if text else None
