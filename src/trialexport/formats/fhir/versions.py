"""The FHIR versions trialexport serves (a module of its own, so implementation modules never import the family)."""

from __future__ import annotations

import re

VERSIONS = ("r5", "r4")  # FHIR releases trialexport writes and validates
BUNDLE_TYPES = ("collection", "transaction", "batch")  # the Bundle.type values trialexport writes
LOADABLE = ("transaction", "batch")  # the types a server processes: PUT requests, may be split (split.py)

#: fhirVersion major.minor of each release (``4.0.1`` -> ``4.0`` -> ``r4``).
FHIR_VERSION = {"r4": "4.0", "r5": "5.0"}
_NAMED = re.compile(r"\.fhir-(r4|r5)(?:\.part-\d+)?\.json$")  # trialexport's output names, split parts included


def release_of_fhir_version(value: str) -> str | None:
    """``r4`` / ``r5`` for a ``fhirVersion`` such as ``4.0.1`` (any patch level), ``None`` for other releases."""
    major_minor = ".".join(value.split(".")[:2])
    return next((r for r, v in FHIR_VERSION.items() if v == major_minor), None)


def release_of_name(name: str) -> str | None:
    """``r4`` / ``r5`` from a trialexport file name (``NCT01.fhir-r4.json``, ``NCT01.fhir-r4.part-2.json``)."""
    m = _NAMED.search(name)
    return m.group(1) if m else None
