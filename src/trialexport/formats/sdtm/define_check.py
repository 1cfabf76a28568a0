"""Validation of a Define-XML 2.1 document: the official XSDs (vendored from the odmlib wheel in
``schemas/define-2.1``, with the ODM 1.3.2 foundation they redefine, from the same wheel), reference integrity
(every ItemRef/CodeListRef resolves: DEFINE-REF), and the datasets' OIDs against it (DEFINE-DATASET)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from trialexport.diagnostics import Diagnostic, error
from trialexport.resources import schema_path

from .define import DEF_NS, ODM_NS


class _Vendored(etree.Resolver):
    """Serve files of ``schemas/define-2.1`` only (its XSDs name the foundation as ``../../odm/1.3.2/...``, the
    wheel's layout: served by file name from the folder)."""

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        candidate = Path(schema_path("define-2.1")) / Path(system_url.removeprefix("file://")).name
        if "://" in system_url.removeprefix("file://") or not candidate.is_file():
            raise PermissionError(f"refusing to load {system_url!r}: not a vendored schema")
        return self.resolve_filename(str(candidate), context)


@cache
def _schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_Vendored())
    doc = etree.parse(str(schema_path("define-2.1", "define2-1-0.xsd")), parser)
    return etree.XMLSchema(doc)


def is_define(root: Any) -> bool:
    """Whether an ODM root is a Define-XML 2.1 document (its MetaDataVersion declares def:DefineVersion)."""
    path = f"{{{ODM_NS}}}Study/{{{ODM_NS}}}MetaDataVersion[@{{{DEF_NS}}}DefineVersion]"
    return root is not None and root.find(path) is not None


def check_define(root: etree._Element, source: str | None = None) -> list[Diagnostic]:
    """XSD findings (DEFINE-XSD), then the references (DEFINE-REF)."""
    schema = _schema()
    out = [error("DEFINE-XSD", e.message, file=source, line=e.line) for e in _validated(schema, root)]
    oids = {(el.tag.rpartition("}")[2], el.get("OID")) for el in root.iter() if isinstance(el.tag, str)}
    for tag, attr, target in (("ItemRef", "ItemOID", "ItemDef"), ("CodeListRef", "CodeListOID", "CodeList")):
        for ref in root.iter(f"{{{ODM_NS}}}{tag}"):
            if (target, ref.get(attr)) not in oids:
                out.append(error("DEFINE-REF", f"{tag} {attr}={ref.get(attr)!r} points at no {target}", file=source,
                                 line=ref.sourceline))
    return out


def _validated(schema: etree.XMLSchema, root: etree._Element) -> list[Any]:
    schema.validate(etree.ElementTree(root))
    return list(schema.error_log)


def check_datasets(root: etree._Element, datasets: list[dict[str, Any]], files: tuple[str, ...]) -> list[Diagnostic]:
    """Each dataset's itemGroupOID and column itemOIDs are defined, and the group lists the columns."""
    out = []
    groups = {g.get("OID"): g for g in root.iter(f"{{{ODM_NS}}}ItemGroupDef")}
    for doc, name in zip(datasets, files, strict=True):
        group = groups.get(doc.get("itemGroupOID"))
        if group is None:
            out.append(error("DEFINE-DATASET", f"itemGroupOID {doc.get('itemGroupOID')!r} is not an ItemGroupDef "
                             "of define.xml", file=name, path="itemGroupOID"))
            continue
        refs = [r.get("ItemOID") for r in group.iter(f"{{{ODM_NS}}}ItemRef")]
        cols = [c.get("itemOID") for c in doc.get("columns", [])]
        if refs != cols:
            out.append(error("DEFINE-DATASET", f"columns {cols} differ from the ItemRefs of {group.get('OID')} in "
                             "define.xml", file=name, path="columns"))
    return out
