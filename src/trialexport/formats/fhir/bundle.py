"""One FHIR Bundle per study (R5 or R4), mapped by the tables in ``mappings/fhir/``.

Resources get deterministic ids from the study id (``nct04318600``, ``nct04318600-site-3``) and
``urn:uuid:`` fullUrls (uuid5 of ``https://clinicaltrials.gov/study/<id>/<Type>/<resource id>``),
so the same record always gives the same bytes. Transaction bundles PUT every resource by
``<Type>/<id>``: loading twice updates rather than duplicates.
"""

from __future__ import annotations

from typing import Any

import orjson

from trialexport.diagnostics import Diagnostic, error
from trialexport.model import Trial

from .mapping import engine
from .versions import VERSIONS

BUNDLE_TYPES = ("collection", "transaction")


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
        if bundle_type == "transaction":
            entry["request"] = {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}
        entries.append(entry)
    bundle = {"resourceType": "Bundle", "id": f"{engine.id_stem(study)}-{version}", "type": bundle_type,
              "entry": entries}  # fmt: skip
    return bundle, diags


def serialize(bundle: dict[str, Any]) -> bytes:
    """Deterministic JSON: insertion (table) key order, 2-space indent, trailing newline."""
    return orjson.dumps(bundle, option=orjson.OPT_INDENT_2) + b"\n"


def validate(bundle: dict[str, Any], version: str, model_check: bool = True) -> list[Diagnostic]:
    """Official JSON schemas + bindings + required elements + references, then (``model_check``) the fhir.resources
    model parse."""
    try:
        from trialexport.formats.fhir.validation import validate_fhir, validate_fhir_models
    except ImportError as exc:  # the validators ship with the package; say so if they do not
        return [error("FHIR-VALIDATOR-MISSING", f"FHIR validators unavailable: {exc}")]
    diags = list(validate_fhir(bundle, version))
    if model_check and not any(d.is_error for d in diags):
        diags.extend(validate_fhir_models(bundle, version))
    return diags
