"""Checking a FHIR file written by anyone (``trialexport validate``): which version and why, then every rule.

Differences from checking trialexport's own outputs: the version is detected (or given), a ``Type/id`` reference
that names no entry is resolved outside the Bundle where the Bundle type allows it (:mod:`.elements`), and the
fhir.resources models always give their second opinion.
"""

from __future__ import annotations

from typing import Any

from trialexport.diagnostics import Diagnostic, info

from ..versions import release_of_name
from .detect import detect_fhir_version_why
from .models import validate_fhir_models
from .validate import validate_fhir


def check_fhir(doc: Any, version: str | None, source: str = "") -> tuple[str, list[Diagnostic]]:
    """``(version, findings)`` of a parsed FHIR JSON document; ``version``: ``None`` to detect it.

    The first finding is an ``info`` ``VALIDATE-KIND`` naming the kind, the version and why that version was
    chosen (given, declared ``fhirVersion``, version-only elements, then trialexport's file naming
    ``<id>.fhir-r4.json`` in ``source``, ...).
    """
    why = "given with --fhir-version"
    if version is None:
        version, why = detect_fhir_version_why(doc)
    if version is None and (named := release_of_name(source)):
        version = named
        why += f"; the file name says {version.upper()} (trialexport's naming, e.g. a split Bundle's later part)"
    if version is None:  # nothing version-specific: valid if either version accepts it, else judged as R5
        version = "r4" if not validate_fhir(doc, "r4", self_contained=False) \
            and validate_fhir(doc, "r5", self_contained=False) else "r5"
        why += f"; {'only R4 accepts it' if version == 'r4' else 'checked as R5, the default'}"
    found = validate_fhir(doc, version, self_contained=False)
    seen = {f.path for f in found}
    found += [d for d in validate_fhir_models(doc, version) if d.path not in seen]
    rtype = doc.get("resourceType") if isinstance(doc, dict) else None
    kind = info("VALIDATE-KIND", f"FHIR {version.upper()} {rtype or 'resource'} (version: {why})")
    return version, [kind, *found]
