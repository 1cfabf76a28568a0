"""Related artifacts: citations, links, IPD documents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trialexport.mapkit.transforms import Call

from .. import tables
from .base import JSON, transform

if TYPE_CHECKING:
    from ..engine import Context


def _pubmed(ctx: Context, pmid: str) -> str:
    return tables.fixed("pubmed", ctx.version)[0].format(pmid)


@transform("citation")
def _citation(ctx: Context, value: dict[str, Any], call: Call) -> JSON:
    out: dict[str, Any] = {"type": "citation"}
    if value.get("type"):
        out["label"] = value["type"]
    if value.get("citation"):
        out["citation"] = value["citation"]
    if value.get("pmid"):
        out["document"] = {"url": _pubmed(ctx, value["pmid"])}
    items = [out]
    for r in value.get("retractions", []):
        ret: dict[str, Any] = {"type": "citation", "label": "retraction"}
        if r.get("source"):
            ret["display"] = r["source"]
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
    out: dict[str, Any] = {"type": "documentation"}
    if value.get("id"):
        out["label"] = value["id"]
    display = ": ".join(v for v in (value.get("type"), value.get("comment")) if v)
    if display:
        out["display"] = display
    if value.get("url"):
        out["document"] = {"url": value["url"]}
    return out
