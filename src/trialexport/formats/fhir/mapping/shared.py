"""Content-derived ids for the resources studies share (Organization, Location, Practitioner).

At the end of a run every resource of a ``shared`` kind (``resources.csv``) gets the id
``<type>-<first 16 hex digits of the SHA-1 of its content>`` (plus an identity text a transform may add, e.g. an
official's affiliation, so two people of the same name stay apart): the same sponsor, facility or person gets the
same id in every study, so a server that receives ``PUT Organization/<id>`` twice keeps one copy. Resources of the
same content merge into one; every Reference made to them (:attr:`Context.shared_refs`) is re-pointed.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from . import tables
from .context import Context, uuid5_urn


def content_id(res: dict[str, Any], identity: str = "") -> str:
    """``<type>-<hash>`` of a resource's content (its id left out) and an optional identity text."""
    body = {k: v for k, v in res.items() if k != "id"}
    digest = hashlib.sha1(orjson.dumps(body, option=orjson.OPT_SORT_KEYS) + identity.encode()).hexdigest()
    return f"{res['resourceType'].lower()}-{digest[:16]}"


def shared_url(rtype: str, rid: str) -> str:
    """The fullUrl of a shared resource: the same in every study."""
    return uuid5_urn(tables.fixed("shared-fullurl", "r5")[0].format(type=rtype, id=rid))


def assign(ctx: Context, slots: list[tuple[int, ...]]) -> list[dict[str, Any]]:
    """Give the shared resources their content ids, merge equal ones and rewrite references; resources in order."""
    orders = {k.order for k in tables.kinds().values() if k.shared}
    moved: dict[str, str] = {}
    seen: dict[str, dict[str, Any]] = {}
    out = []
    for slot in slots:
        res = ctx.resources[slot]
        if slot[0] not in orders:
            out.append(res)
            continue
        old = ctx.full_url(res["resourceType"], res["id"])
        res["id"] = content_id(res, ctx.keys.get(id(res), ""))
        new = shared_url(res["resourceType"], res["id"])
        ctx.urls[(res["resourceType"], res["id"])] = new
        moved[old] = new
        if res["id"] not in seen:
            seen[res["id"]] = res
            out.append(res)
    for ref in ctx.shared_refs:
        ref["reference"] = moved.get(ref["reference"], ref["reference"])
    return out
