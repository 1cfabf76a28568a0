"""CDISC ODM 1.3.2 / 2.0 study documents (as trialexport writes them) read back into the model.

What the document carries comes back: the Trial Summary through the table that wrote it
(:mod:`trialexport.cdisc.ts_read`), the rest through :mod:`.odm_parts` (study, EDC items, 2.0 protocol elements) and
:mod:`.odm_admin` (users, organizations, sites). A document with no study metadata (only ClinicalData, a
Define-XML) is refused with one line. Then any-to-any works: ``trialexport convert X.odm-2.0.xml --to fhir-r5``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialexport.diagnostics import Diagnostic, error

if TYPE_CHECKING:
    from trialexport.model import Trial

ODM_NAMESPACES = {"http://www.cdisc.org/ns/odm/v1.3": "1.3.2", "http://www.cdisc.org/ns/odm/v2.0": "2.0"}


class OdmReader:
    """An ODM document (root ``ODM`` in the ODM 1.3 or 2.0 namespace) with a Study."""

    name = "odm"
    title = "CDISC ODM 1.3.2 / 2.0 study document"
    shape = "xml"

    def claims(self, value: Any) -> bool:
        from trialexport.xmlsafe import root_name

        found = root_name(value)
        return found is not None and found[1] == "ODM" and found[0] in ODM_NAMESPACES

    def record_id(self, value: Any) -> str | None:
        return None

    def read(self, value: Any, text: str | None) -> tuple[Trial | None, list[Diagnostic]]:
        from trialexport.diagnostics import TrialExportError
        from trialexport.xmlsafe import parse_xml

        from .build import finalize
        from .odm_parts import read_document

        try:
            root = parse_xml(value.encode("utf-8") if isinstance(value, str) else value).getroot()
        except TrialExportError as exc:  # XML-UNSAFE / XML-PARSE, one line each
            return None, [exc.diagnostic]
        version = ODM_NAMESPACES.get(root.tag.partition("}")[0].lstrip("{"))
        if version is None or root.find(f"{{{root.tag.partition('}')[0].lstrip('{')}}}Study") is None:
            return None, [error("READ-ODM", "ODM document without a Study: no study metadata to read (a ClinicalData "
                                "or Define-XML file is validated with 'trialexport validate', not converted)")]
        data, notes = read_document(root, version)
        trial, diags = finalize(data, strict=False)
        return trial, notes + diags


READER = OdmReader()
