"""``define.xml`` (CDISC Define-XML 2.1) describing the datasets of one study: ItemGroupDefs, ItemDefs (data type,
length), the CT codelists the data use (with ``nci:ExtCodeID``), ``def:Standards`` (SDTMIG and the CT release)."""

from __future__ import annotations

from typing import Any

from lxml import etree

from trialexport.cdisc import terminology

from .tables import DOMAINS, variables

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
XLINK_NS = "http://www.w3.org/1999/xlink"
NCI_NS = "http://ncicb.nci.nih.gov/xml/odm/EVS/CDISC"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SDTMIG_VERSION = "3.4"
_D = f"{{{DEF_NS}}}"
_TYPES = {"string": "text", "integer": "integer"}


def _el(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, tag if tag.startswith("{") else f"{{{ODM_NS}}}{tag}", attrs)


def _text(parent: etree._Element, text: str) -> None:
    _el(_el(parent, "Description"), "TranslatedText", **{XML_LANG: "en"}).text = text


def define(datasets: list[dict[str, Any]], files: tuple[str, ...], study: str, title: str, when: str,
           metadata_oid: str) -> etree._Element:
    """The Define-XML 2.1 document of ``datasets`` (Dataset-JSON documents, written as ``files``)."""
    root = etree.Element(f"{{{ODM_NS}}}ODM", {"FileType": "Snapshot", "FileOID": f"{study}/define",
                                              "CreationDateTime": when, "ODMVersion": "1.3.2",
                                              f"{_D}Context": "Other", "Originator": "trialexport"},
                         nsmap={None: ODM_NS, "def": DEF_NS, "xlink": XLINK_NS, "nci": NCI_NS})
    st = _el(root, "Study", OID=study)
    gv = _el(st, "GlobalVariables")
    _el(gv, "StudyName").text = study
    _el(gv, "StudyDescription").text = title or study
    _el(gv, "ProtocolName").text = study
    mdv = _el(st, "MetaDataVersion", OID=metadata_oid, Name=f"{study} SDTM trial design",
              **{f"{_D}DefineVersion": "2.1.0"})
    stds = _el(mdv, f"{_D}Standards")
    _el(stds, f"{_D}Standard", OID="STD.SDTMIG", Name="SDTMIG", Type="IG", Version=SDTMIG_VERSION, Status="Final")
    _el(stds, f"{_D}Standard", OID="STD.CT", Name="CDISC/NCI", Type="CT", PublishingSet="SDTM",
        Version=terminology.release(), Status="Final")
    item_defs: list[tuple[dict[str, Any], str]] = []
    used: dict[str, set[str]] = {}
    for doc, name in zip(datasets, files, strict=True):
        dom = doc["name"]
        ig = _el(mdv, "ItemGroupDef", OID=doc["itemGroupOID"], Name=dom, Repeating="No", IsReferenceData="Yes",
                 SASDatasetName=dom, Purpose="Tabulation", **{f"{_D}Structure": _STRUCTURE[dom],
                                                              f"{_D}StandardOID": "STD.SDTMIG",
                                                              f"{_D}ArchiveLocationID": f"LF.{dom}"})
        _text(ig, DOMAINS[dom])
        codelists = {v.name: v.codelist for v in variables(dom)}
        for n, col in enumerate(doc["columns"], 1):
            ref = _el(ig, "ItemRef", ItemOID=col["itemOID"], OrderNumber=str(n),
                      Mandatory="Yes" if "keySequence" in col else "No")
            if "keySequence" in col:
                ref.set("KeySequence", str(col["keySequence"]))
            cl = codelists.get(col["name"], "")
            if cl:
                k = [c["name"] for c in doc["columns"]].index(col["name"])
                used.setdefault(cl, set()).update(r[k] for r in doc["rows"] if r[k])
            item_defs.append((col, cl))
        _el(ig, f"{_D}Class", Name="TRIAL DESIGN")
        leaf = _el(ig, f"{_D}leaf", ID=f"LF.{dom}", **{f"{{{XLINK_NS}}}href": name})
        _el(leaf, f"{_D}title").text = name
    for col, cl in item_defs:
        item = _el(mdv, "ItemDef", OID=col["itemOID"], Name=col["name"], DataType=_TYPES[col["dataType"]],
                   SASFieldName=col["name"])
        item.set("Length", str(col.get("length", 8)))
        _text(item, col["label"])
        if used.get(cl):  # a codelist no value uses (no arms: no EPOCH) is not listed
            _el(item, "CodeListRef", CodeListOID=f"CL.{cl}")
    for cl in dict.fromkeys(c for _, c in item_defs if used.get(c)):
        _codelist(mdv, cl, used[cl])
    return root


def _codelist(mdv: etree._Element, codelist: str, values: set[str]) -> None:
    meta = terminology.codelists()[codelist]
    node = _el(mdv, "CodeList", OID=f"CL.{codelist}", Name=meta["name"], DataType="text",
               **{f"{_D}StandardOID": "STD.CT"})
    by_value = {v: c for c, v in terminology.terms(codelist).items()}
    for value in sorted(values):
        item = _el(node, "EnumeratedItem", CodedValue=value)
        if value in by_value:
            _el(item, "Alias", Context="nci:ExtCodeID", Name=by_value[value])
    _el(node, "Alias", Context="nci:ExtCodeID", Name=codelist)


_STRUCTURE = {"TS": "One record per trial summary parameter value", "TA": "One record per planned Element per Arm",
              "TE": "One record per planned Element", "TI": "One record per I/E criterion"}


def serialize(root: etree._Element) -> bytes:
    """Deterministic bytes: UTF-8 with declaration, 2-space indent."""
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8") + b"\n"
