"""Related artifacts (the source record, citations, links, IPD files, registry documents) and the statements the
project's extensions carry (IPD sharing, oversight)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialexport.mapkit.transforms import Call

from .. import tables
from .base import JSON, camel, transform

if TYPE_CHECKING:
    from ..context import Context

RETRACTION = "RETRACTION"  # classifier text of a retraction notice (the registry's references[].retractions[])
IPD = "IPD"  # classifier text of an available IPD file (the registry's availIpds[])


def _pubmed(ctx: Context, pmid: str) -> str:
    return tables.fixed("pubmed", ctx.version)[0].format(pmid)


@transform("source_link")
def _source_link(ctx: Context, value: str, call: Call) -> JSON:
    _, _, display = tables.fixed(call.row.codes, ctx.version)
    url = tables.fixed(call.row.codes, ctx.version)[0].format(value)
    return {"type": "derived-from", "display": display, "document": {"url": url}}


@transform("citation")
def _citation(ctx: Context, value: dict[str, Any], call: Call) -> JSON:
    out: dict[str, Any] = {"type": "citation"}
    if value.get("type"):
        out["classifier"] = [{"text": value["type"]}]
    if value.get("citation"):
        out["citation"] = value["citation"]
    if value.get("pmid"):
        out["document"] = {"url": _pubmed(ctx, value["pmid"])}
    items = [out]
    if value.get("retractions"):
        out["publicationStatus"] = "retired"  # a retracted publication: withdrawn, no longer to be used
    for r in value.get("retractions", []):
        ret: dict[str, Any] = {"type": "citation", "classifier": [{"text": RETRACTION}]}
        if r.get("source"):
            ret["citation"] = r["source"]
        if r.get("pmid"):
            ret["document"] = {"url": _pubmed(ctx, r["pmid"])}
        items.append(ret)
    return items


@transform("link")
def _link(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {"type": "documentation"}
    if value.get("label"):
        out["display"] = value["label"]
    out["document"] = {"url": value["url"]}
    return out


@transform("ipd_link")
def _ipd_link(ctx: Context, value: dict[str, str], call: Call) -> JSON:
    out: dict[str, Any] = {"type": "documentation", "classifier": [{"text": IPD}]}
    if value.get("id"):
        out["label"] = value["id"]
    if value.get("type"):
        out["display"] = value["type"]
    if value.get("comment"):
        out["citation"] = value["comment"]
    if value.get("url"):
        out["document"] = {"url": value["url"]}
    return out


@transform("large_docs")
def _large_docs(ctx: Context, value: dict[str, Any], call: Call) -> JSON:
    docs = ((value.get("documentSection") or {}).get("largeDocumentModule") or {}).get("largeDocs") or []
    pattern = tables.fixed(call.row.codes, ctx.version)[0]
    out = []
    for doc in docs:
        if not isinstance(doc, dict) or not doc.get("filename"):
            continue
        item: dict[str, Any] = {"type": "documentation"}
        if doc.get("typeAbbrev"):
            item["classifier"] = [{"text": str(doc["typeAbbrev"])}]
        if doc.get("label"):
            item["display"] = str(doc["label"])
        att: dict[str, Any] = {"url": pattern.format(tail=ctx.study[-2:], study=ctx.study, file=doc["filename"]),
                               "title": str(doc["filename"])}
        if isinstance(doc.get("date"), str):
            att["creation"] = doc["date"]
        if isinstance(doc.get("size"), int):
            att["size"] = str(doc["size"])  # R5 integer64 (a JSON string); R4: version-shapes.csv
        item["document"] = att
        out.append(item)
    return out or None


@transform("ipd_sharing")
def _ipd_sharing(ctx: Context, value: dict[str, Any], call: Call) -> JSON:
    if not value.get("ipd_sharing"):
        return None
    return {camel(k): v for k, v in value.items() if v not in (None, "", [])}


@transform("oversight")
def _oversight(ctx: Context, value: dict[str, Any], call: Call) -> JSON:
    return {camel(k): v for k, v in value.items() if isinstance(v, bool)} or None
