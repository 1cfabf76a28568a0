"""CDISC ODM 1.3.2 and 2.0 documents of a trial.

- :mod:`.mapping`: the trial as a version-neutral EDC/Trial Summary spec, then one serializer per version;
- :mod:`.xmltree`: the text emitter both serializers write with (byte-identical to lxml's output);
- :mod:`.document`: build, serialize and validate one document;
- :mod:`.validation`: the official XSDs (vendored from the odmlib wheel) and the OID-reference check.

Nothing heavy is imported until a method of :data:`FAMILY` is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trialexport.diagnostics import Diagnostic
    from trialexport.formats.base import Built, Options
    from trialexport.model import Trial

from .versions import VERSIONS

DEFINE_NS = "http://www.cdisc.org/ns/def/v2.1"  # Define-XML 2.1: checked by the SDTM family, not as an ODM study


class OdmFamily:
    """ODM documents (one per study) in ODM 1.3.2 or 2.0."""

    name = "odm"
    versions: tuple[str, ...] = VERSIONS

    def build(self, trial: Trial, version: str, options: Options) -> Built:
        from .document import build

        return build(trial, version, options)

    def serialize(self, doc: Any, version: str, options: Options) -> bytes:
        from .xmltree import serialize

        return serialize(doc.root)

    def validate(self, doc: Any, data: bytes, version: str, options: Options) -> list[Diagnostic]:
        from .validation import validate_odm
        from .xmltree import written

        found = validate_odm(data, version, emitted=True, written=written(doc.root, data))
        return [d.located(record=doc.record) for d in found]

    def not_carried(self, version: str) -> dict[str, str]:
        from .document import reasons

        return reasons(version)

    def suffix(self, version: str, options: Options) -> str:
        return f"{self.name}-{version}.xml"

    def claims(self, doc: Any) -> bool:
        root = doc.getroot() if hasattr(doc, "getroot") else None
        if root is None or not isinstance(root.tag, str) or root.tag.rpartition("}")[2] != "ODM":
            return False
        return root.find(f"*/*[@{{{DEFINE_NS}}}DefineVersion]") is None  # a Define-XML document is SDTM metadata

    def check(self, doc: Any, data: bytes, version: str | None, source: str) -> list[Diagnostic]:
        from .validation import validate_odm_parsed

        return validate_odm_parsed(doc, version, source=source)


FAMILY = OdmFamily()
