"""FHIR R5 / R4 Bundles (collection or transaction; ours or any Bundle holding a ResearchStudy) and single
ResearchStudy resources: read back into the trial model (:mod:`.fhir`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trialexport.diagnostics import Diagnostic
    from trialexport.model import Trial


def _entries(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, dict):
        return []
    if value.get("resourceType") == "ResearchStudy":
        return [{"resource": value}]
    if value.get("resourceType") == "Bundle" and isinstance(value.get("entry"), list):
        return [e for e in value["entry"] if isinstance(e, dict)]
    return []


def _study(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The main ResearchStudy: the first one that is not part of another."""
    studies = [e["resource"] for e in entries if (e.get("resource") or {}).get("resourceType") == "ResearchStudy"]
    return next((s for s in studies if not s.get("partOf")), studies[0] if studies else None)


class FhirBundleReader:
    """A FHIR Bundle (or resource) with a ResearchStudy."""

    name = "fhir"
    title = "FHIR R5/R4 Bundle with a ResearchStudy"
    shape = "json"

    def claims(self, value: Any) -> bool:
        return _study(_entries(value)) is not None

    def record_id(self, value: Any) -> str | None:
        study = _study(_entries(value))
        return study.get("id") if study else None

    def read(self, value: Any, text: str | None) -> tuple[Trial | None, list[Diagnostic]]:
        from trialexport.diagnostics import error

        entries = _entries(value)
        study = _study(entries)
        if study is None:
            return None, [error("READ-NOT-STUDY", "JSON value is not a FHIR Bundle or resource with a ResearchStudy")]
        from .build import finalize
        from .fhir.read import bundle_to_data

        return finalize(bundle_to_data(entries, study), strict=False)


READER = FhirBundleReader()
