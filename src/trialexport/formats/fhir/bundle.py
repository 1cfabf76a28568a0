"""One FHIR Bundle per study (R5 or R4), mapped by the tables in ``mappings/fhir/``.

Resources get deterministic ids from the study id (``nct04318600``, ``nct04318600-site-3``) and
``urn:uuid:`` fullUrls (uuid5 of ``https://clinicaltrials.gov/study/<id>/<Type>/<resource id>``),
so the same record always gives the same bytes. Transaction and batch Bundles PUT every resource by
``<Type>/<id>``: loading twice updates rather than duplicates. A batch Bundle's references are literal ``Type/id``
(batch entries are processed independently); :mod:`.split` cuts either kind into parts for a server's limit.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from trialexport.diagnostics import Diagnostic, error
from trialexport.model import Trial

from .mapping import engine
from .versions import BUNDLE_TYPES, LOADABLE, VERSIONS


def map_bundle(trial: Trial, version: str, bundle_type: str = "collection") -> tuple[dict[str, Any], list[Diagnostic]]:
    """The Bundle dict and the mapping warnings (no validation)."""
    if version not in VERSIONS:
        raise ValueError(f"unknown FHIR version {version!r}")
    if bundle_type not in BUNDLE_TYPES:
        raise ValueError(f"unknown bundle type {bundle_type!r}")
    resources, diags = engine.run(trial, version)
    study = trial.study_id or "study"
    entries = []
    for full, res in resources:
        entry: dict[str, Any] = {"fullUrl": full, "resource": res}
        if bundle_type in LOADABLE:
            entry["request"] = {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}
        entries.append(entry)
    bundle = {"resourceType": "Bundle", "id": f"{engine.id_stem(study)}-{version}", "type": bundle_type,
              "entry": entries}  # fmt: skip
    if bundle_type == "batch":
        from .split import literal_references

        literal_references(bundle)
    return bundle, diags


def serialize(bundle: dict[str, Any]) -> bytes:
    """Deterministic JSON: insertion (table) key order, 2-space indent, trailing newline."""
    return orjson.dumps(bundle, option=orjson.OPT_INDENT_2) + b"\n"


def validate(bundle: dict[str, Any], version: str, model_check: bool = True, size: int | None = None,
             ) -> list[Diagnostic]:  # fmt: skip
    """Official JSON schemas + bindings + required elements + references, then (``model_check``) the fhir.resources
    model parse. ``size``: the byte length of the Bundle's serialization (:func:`serialize`), if known."""
    try:
        from trialexport.formats.fhir.validation import validate_fhir, validate_fhir_models
    except ImportError as exc:  # the validators ship with the package; say so if they do not
        return [error("FHIR-VALIDATOR-MISSING", f"FHIR validators unavailable: {exc}")]
    diags = list(validate_fhir(bundle, version, size=size))
    if model_check and not any(d.is_error for d in diags):
        diags.extend(validate_fhir_models(bundle, version))
    return diags


def validate_parts(parts: list[dict[str, Any]], version: str, model_check: bool = True) -> list[Diagnostic]:
    """Every check of :func:`validate` on each part, with references across parts held to the loading order: a
    ``Type/id`` reference must name a resource of its part or of an earlier one (``FHIR-SPLIT-ORDER``)."""
    from trialexport.formats.fhir.validation import validate_fhir, validate_fhir_models

    from .split import unresolved_across

    diags: list[Diagnostic] = []
    for k, part in enumerate(parts, start=1):
        found = [d for d in validate_fhir(part, version, self_contained=False) if d.code != "FHIR-REF-OUTSIDE"]
        if model_check and not any(d.is_error for d in found):
            found.extend(validate_fhir_models(part, version))
        diags.extend(replace(d, message=f"part {k}: {d.message}") for d in found)
    return diags + unresolved_across(parts)
