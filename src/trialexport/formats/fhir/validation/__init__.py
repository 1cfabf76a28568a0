"""Validation of FHIR JSON, bottom-up:

- :mod:`.schema`: the official JSON schemas, loaded with their documented amendments;
- :mod:`.schemagraph`: the schema as a graph of definitions;
- :mod:`.pieces`: a resource or Bundle cut into pieces checked against their own definitions;
- :mod:`.bindings`, :mod:`.required`: the generated tables of required bindings and required/choice elements;
- :mod:`.elements`: the rules the schemas do not state, in one walk;
- :mod:`.validate`: :func:`validate_fhir` (schema + element rules);
- :mod:`.models`: :func:`validate_fhir_models`, the fhir.resources second opinion;
- :mod:`.detect`: :func:`detect_fhir_version`.
"""

from __future__ import annotations

from .detect import detect_fhir_version
from .models import validate_fhir_models
from .schema import load_schema, pattern_rewrites, schema_amendments
from .validate import ENGINES, choose_engine, prepare, validate_fhir

__all__ = ["ENGINES", "choose_engine", "detect_fhir_version", "load_schema", "pattern_rewrites", "prepare",
           "schema_amendments", "validate_fhir", "validate_fhir_models"]  # fmt: skip
