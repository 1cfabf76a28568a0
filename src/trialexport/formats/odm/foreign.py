"""ODM files written elsewhere (``trialexport validate``): what they are, and what of them can be validated.

CDISC repositories hold more than trialexport's own ODM 1.3.2 / 2.0 study definitions, all with an ``<ODM>`` root:

* **Define-XML 2.0** (``def:DefineVersion`` on ``MetaDataVersion``): ODM 1.3.2 extended by the Define-XML 2.0
  schemas, which trialexport does not vendor: reported as *not validated* (a skip), never as hundreds of errors
  (Define-XML 2.1 is claimed and validated by the SDTM family before this is asked);
* **Dataset-XML 1.0** (``data:DatasetXMLVersion``): ODM 1.3.2 ``ClinicalData`` holding ``ItemGroupData`` directly
  (its schema redefines ``ClinicalData``; not vendored): *not validated*; its metadata lives in the Define-XML named
  by ``PriorFileOID``;
* **vendor-extended ODM** (e.g. OpenClinica's namespaces): elements and attributes of other namespaces;
* **ODM 1.3 / 1.3.1** (same namespace as 1.3.2, older ``ODMVersion``): not validated (a skip).

For vendor extensions the ODM core is validated: the content of foreign namespaces is set aside
(reported as information, never silently) and the rest checked against the official ODM XSD; OID references are
checked only against the kinds of definition the file holds (a ``ClinicalData``-only file references metadata
defined in another file).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from trialexport.diagnostics import Diagnostic, info

DEF_NS = ("http://www.cdisc.org/ns/def/v2.0", "http://www.cdisc.org/ns/def/v2.1")
DATASET_NS = "http://www.cdisc.org/ns/Dataset-XML/v1.0"
#: Namespaces the ODM XSDs themselves use (besides the ODM namespace of the version).
_CORE = frozenset({"http://www.w3.org/XML/1998/namespace", "http://www.w3.org/1999/xlink",
                   "http://www.w3.org/2000/09/xmldsig#", "http://www.w3.org/1999/xhtml"})
_OLDER = ("1.3", "1.3.0", "1.3.1")


@dataclass(slots=True)
class Kind:
    """What an ``<ODM>`` file is, and how to check it."""

    title: str  # e.g. "Dataset-XML 1.0 (ODM 1.3.2 ClinicalData)"
    version: str | None  # ODM XSD to validate the core against; None: not validated
    skip: str = ""  # why it is not validated
    notes: list[Diagnostic] = field(default_factory=list)
    metadata_here: bool = True  # the file holds its own metadata (else references to it are not checked)


def _ns(tag: object) -> str | None:
    return etree.QName(tag).namespace if isinstance(tag, str) else None


def classify(root: etree._Element, odm_ns: str, version: str | None) -> Kind:
    """What the ``<ODM>`` document rooted at ``root`` is; ``version``: the ODM version read from it."""
    declared = (root.get("ODMVersion") or "").strip()
    mdv = [el for el in root.iter(f"{{{odm_ns}}}MetaDataVersion")]
    define = next((el.get(f"{{{ns}}}DefineVersion") for el in mdv for ns in DEF_NS
                   if el.get(f"{{{ns}}}DefineVersion")), None)
    if define is not None or (any(ns in DEF_NS for ns in (root.nsmap or {}).values()) and mdv):
        number = ".".join((define or "2").split(".")[:2])
        return Kind(f"Define-XML {number}", None, f"not validated: Define-XML {number} (trialexport does not vendor "
                    "the Define-XML schemas; the file is not checked)")
    if declared in _OLDER:
        return Kind(f"ODM {declared}", None, f"not validated: ODM {declared} (trialexport validates ODM 1.3.2 and "
                    "2.0 only)")
    dataset = root.get(f"{{{DATASET_NS}}}DatasetXMLVersion")
    if dataset is not None:
        prior = root.get("PriorFileOID")
        return Kind(f"Dataset-XML {dataset}", None, f"not validated: Dataset-XML {dataset} (its schema redefines ODM "
                    "ClinicalData and is not vendored; the metadata lives in the Define-XML file"
                    + (f" {prior!r})" if prior else ")"))
    has_metadata = bool(mdv)
    title = f"ODM {version}" if version else "ODM"
    if not has_metadata and root.find(f"{{{odm_ns}}}ClinicalData") is not None:
        title += " ClinicalData"
    kind = Kind(title, version, metadata_here=has_metadata)
    if not has_metadata and root.find(f"{{{odm_ns}}}ClinicalData") is not None:
        prior = root.get("PriorFileOID")
        where = f" (PriorFileOID {prior!r})" if prior else ""
        kind.notes.append(info("ODM-METADATA-ELSEWHERE", "ClinicalData without metadata in this file: references to "
                               f"study metadata are not checked; the metadata lives in another file{where}"))
    return kind


def strip_foreign(tree: etree._ElementTree, odm_ns: str) -> tuple[etree._ElementTree, list[Diagnostic]]:
    """A copy of ``tree`` without elements and attributes of namespaces other than ODM's and those its XSD uses;
    an information note naming what was set aside (nothing is dropped silently). The original is untouched."""
    allowed = _CORE | {odm_ns}
    counts: dict[str, int] = {}
    root = tree.getroot()
    if not any(_ns(el.tag) not in allowed or any(_ns(a) not in (None, *allowed) for a in el.attrib)
               for el in root.iter() if isinstance(el.tag, str)):
        return tree, []
    copy = etree.ElementTree(etree.fromstring(etree.tostring(root)))
    for el in list(copy.getroot().iter()):
        if not isinstance(el.tag, str):
            continue
        ns = _ns(el.tag)
        if ns not in allowed:
            counts[str(ns)] = counts.get(str(ns), 0) + 1
            parent = el.getparent()
            if parent is not None:
                parent.remove(el)
            continue
        for name in list(el.attrib):
            ans = _ns(name)
            if ans is not None and ans not in allowed:
                counts[ans] = counts.get(ans, 0) + 1
                del el.attrib[name]
    listed = ", ".join(f"{ns} ({n})" for ns, n in sorted(counts.items()))
    note = info("ODM-EXTENSION", f"extension content not validated (no schema for it): {listed}; the ODM core was "
                "validated without it")
    return copy, [note]
