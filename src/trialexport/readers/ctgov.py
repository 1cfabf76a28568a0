"""ClinicalTrials.gov API v2 study JSON: recognised by its ``protocolSection``, read with the table
``mappings/readers/ctgov-v2.csv`` (see :mod:`.table_reader`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trialexport.diagnostics import Diagnostic
    from trialexport.model import Trial

TABLE = "ctgov-v2"


class CtgovReader:
    """One API v2 study object (pages, arrays, NDJSON and zips of them are split by :mod:`.containers`)."""

    name = "ctgov"
    title = "ClinicalTrials.gov API v2 study JSON"
    shape = "json"

    def claims(self, value: Any) -> bool:
        return isinstance(value, dict) and isinstance(value.get("protocolSection"), dict)

    def record_id(self, value: Any) -> str | None:
        section = value.get("protocolSection") if isinstance(value, dict) else None
        ident = section.get("identificationModule") if isinstance(section, dict) else None
        nct = ident.get("nctId") if isinstance(ident, dict) else None
        return nct if isinstance(nct, str) else None

    def read(self, value: Any, text: str | None) -> tuple[Trial | None, list[Diagnostic]]:
        if not self.claims(value):  # forced with --from ctgov
            from trialexport.diagnostics import error

            message = "JSON value is not a ClinicalTrials.gov study (no 'protocolSection')"
            return None, [error("READ-NOT-STUDY", message)]
        from .table_reader import read_with_table

        return read_with_table(TABLE, value)


READER = CtgovReader()
