"""SDTM trial design datasets (TS, TA, TE, TI) of a trial as CDISC Dataset-JSON 1.1, one file per domain in a folder
per study (``<id>.sdtm/ts.json`` ...) with their ``define.xml``.

- :mod:`.tables`: the variables and the TA/TE element convention (``mappings/cdisc/sdtm-*.csv``);
- :mod:`.datasets`: the rows (TS from the CDISC-neutral :mod:`trialexport.cdisc.ts`);
- :mod:`.document`: Dataset-JSON documents and their bytes;
- :mod:`.define`: ``define.xml`` (Define-XML 2.1) of the study's datasets;
- :mod:`.validation`: the official Dataset-JSON 1.1 schema and the named SDTM conformance rules;
- :mod:`.define_check`: the Define-XML 2.1 XSDs, reference integrity, the datasets against the define.

TV (trial visits) is not written: a registry record has no planned visits or their timing. Nothing heavy is imported
until a method of :data:`FAMILY` is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trialexport.diagnostics import Diagnostic
    from trialexport.formats.base import Built, Options
    from trialexport.model import Trial

#: The files of a study's folder, in the order of the built documents.
FILES = ("ts.json", "ta.json", "te.json", "ti.json", "define.xml")


class SdtmFamily:
    """SDTM trial design datasets (one version: SDTMIG 3.4 in Dataset-JSON 1.1)."""

    name = "sdtm"
    versions: tuple[str, ...] = ("",)

    def build(self, trial: Trial, version: str, options: Options) -> Built:
        from .document import build

        return build(trial, options)

    def serialize(self, doc: Any, version: str, options: Options) -> bytes:
        from .document import serialize

        return serialize(doc)

    def validate(self, doc: Any, data: bytes, version: str, options: Options) -> list[Diagnostic]:
        from .define_check import check_datasets, check_define
        from .validation import validate_dataset

        *datasets, define = doc
        out = [d for one, name in zip(datasets, FILES, strict=False) for d in validate_dataset(one, name)]
        return out + check_define(define, FILES[-1]) + check_datasets(define, datasets, FILES[:-1])

    def not_carried(self, version: str) -> dict[str, str]:
        from .tables import not_carried

        return not_carried()

    def suffix(self, version: str, options: Options) -> str:
        return f"{self.name}/{FILES[0]}"

    def part_suffix(self, version: str, part: int) -> str:
        """File name suffix of part ``part`` (2, 3, ...): the next domain's file in the study's folder."""
        return f"{self.name}/{FILES[part - 1]}"

    def claims(self, doc: Any) -> bool:
        """A Dataset-JSON document, or a Define-XML 2.1 document."""
        if isinstance(doc, dict):
            return "datasetJSONVersion" in doc
        if not hasattr(doc, "getroot"):
            return False
        from .define_check import is_define

        return is_define(doc.getroot())

    def check(self, doc: Any, data: bytes, version: str | None, source: str) -> list[Diagnostic]:
        """A Define-XML 2.1 document or a Dataset-JSON dataset, checked; the first finding names what it was taken
        for (``VALIDATE-KIND``, as every family's check does)."""
        from trialexport.diagnostics import info

        if not isinstance(doc, dict):
            from .define_check import check_define

            return [info("VALIDATE-KIND", "Define-XML 2.1 (def:DefineVersion in the MetaDataVersion)"),
                    *check_define(doc.getroot(), source)]
        from .validation import validate_dataset

        name = doc.get("name") or doc.get("itemGroupOID") or "?"
        kind = f"Dataset-JSON {doc.get('datasetJSONVersion')} dataset {name} (datasetJSONVersion)"
        return [info("VALIDATE-KIND", kind), *validate_dataset(doc, source)]


FAMILY = SdtmFamily()
