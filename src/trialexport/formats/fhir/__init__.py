"""HL7 FHIR R5 and R4 Bundles of a trial.

- :mod:`.mapping`: the rows of ``mappings/fhir/*.csv`` run over the trial (tables, engine, named transforms);
- :mod:`.bundle`: resources assembled into a collection or transaction Bundle, serialized deterministically;
- :mod:`.validation`: the official JSON schemas, the element rules they do not state, the fhir.resources models,
  and version detection.

Nothing heavy is imported until a method of :data:`FAMILY` is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trialexport.diagnostics import Diagnostic
    from trialexport.formats.base import Built, Options
    from trialexport.model import Trial

from .versions import LOADABLE, VERSIONS


class FhirFamily:
    """FHIR Bundles (one per study) in R5 or R4."""

    name = "fhir"
    versions: tuple[str, ...] = VERSIONS

    def build(self, trial: Trial, version: str, options: Options) -> Built:
        from trialexport.formats.base import Built

        from .bundle import map_bundle
        from .mapping.tables import source_paths

        bundle, diags = map_bundle(trial, version, options.bundle_type)
        if options.max_entries and options.bundle_type in LOADABLE and len(bundle["entry"]) > options.max_entries:
            from trialexport.formats.base import Parts

            from .split import split

            return Built(Parts(split(bundle, options.max_entries)), diags, source_paths(version))
        return Built(bundle, diags, source_paths(version))

    def serialize(self, doc: Any, version: str, options: Options) -> bytes:
        from .bundle import serialize

        return serialize(doc)

    def validate(self, doc: Any, data: bytes, version: str, options: Options) -> list[Diagnostic]:
        from trialexport.formats.base import Parts

        from .bundle import validate, validate_parts

        if isinstance(doc, Parts):
            return validate_parts(list(doc), version, options.model_check)
        return validate(doc, version, options.model_check, size=len(data))  # data: the serialization of doc

    def not_carried(self, version: str) -> dict[str, str]:
        from .mapping.tables import not_carried

        return not_carried(version)

    def suffix(self, version: str, options: Options) -> str:
        return f"{self.name}-{version}.json"

    def claims(self, doc: Any) -> bool:
        return isinstance(doc, dict) and isinstance(doc.get("resourceType"), str)

    def check(self, doc: Any, data: bytes, version: str | None, source: str) -> list[Diagnostic]:
        from trialexport.lines import located_in_text

        from .validation.check import check_fhir

        return located_in_text(check_fhir(doc, version, source)[1], data)


FAMILY = FhirFamily()
