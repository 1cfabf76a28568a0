"""The state of one FHIR mapping run (:class:`Context`) and the deterministic ids and fullUrls of its resources."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from trialexport.mapkit.context import MapContext

from . import tables


@dataclass(kw_only=True)
class Context(MapContext):
    """State of one FHIR mapping run: the trial data, the resources built so far, the findings."""

    version: str
    sid: str  # id stem, e.g. "nct04318600"
    study: str  # registry id as written, e.g. "NCT04318600"
    resources: dict[tuple[int, ...], dict[str, Any]] = field(default_factory=dict)
    orgs: dict[str, dict[str, Any]] = field(default_factory=dict)  # org name -> reference
    goal_ids: list[str] = field(default_factory=list)
    urls: dict[tuple[str, str], str] = field(default_factory=dict)
    homes: dict[Any, dict[str, Any]] = field(default_factory=dict)  # engine._place: target kind (, item) -> resource
    holes: list[list[Any]] = field(default_factory=list)  # engine._place: lists padded with None, compacted at the end
    keys: dict[int, str] = field(default_factory=dict)  # id(resource) -> identity text added to its content id
    shared_refs: list[dict[str, Any]] = field(default_factory=list)  # References to shared resources (re-pointed)

    def resource_id(self, kind: str, idx: tuple[int, ...] = (), key: str = "") -> str:
        """The id of a resource of ``kind`` (item ``idx``); shared kinds get their content id at the end of the run."""
        pattern = tables.kinds()[kind].id
        n = idx[0] + 1 if idx else ""
        m = idx[1] + 1 if len(idx) > 1 else ""
        return pattern.format(sid=self.sid, n=n, m=m, key=key)

    def resource(self, kind: str, idx: tuple[int, ...] = (), key: str = "") -> dict[str, Any]:
        """The resource of ``kind`` (item ``idx`` for list kinds), created on first use."""
        k = tables.kinds()[kind]
        depth = k.name.count("[]")
        pos = tuple(idx[:depth]) + (0,) * (2 - depth)
        slot = (k.order, *pos, int(key) if key.isdigit() else 0)
        res = self.resources.get(slot)
        if res is None:
            res = self.resources[slot] = {"resourceType": k.type, "id": self.resource_id(kind, idx[:depth], key)}
        return res

    def full_url(self, rtype: str, rid: str) -> str:
        """``urn:uuid:`` + uuid5(NAMESPACE_URL, codes.csv ``fullurl`` pattern): stable, no randomness."""
        url = self.urls.get((rtype, rid))
        if url is None:
            name = tables.fixed("fullurl", self.version)[0].format(study=self.study, type=rtype, id=rid)
            url = self.urls[(rtype, rid)] = uuid5_urn(name)
        return url

    def ref(self, kind: str, idx: tuple[int, ...] = (), key: str = "", display: str | None = None) -> dict[str, Any]:
        """A Reference to the resource of ``kind`` (created if needed)."""
        res = self.resource(kind, idx, key)
        out: dict[str, Any] = {"reference": self.full_url(res["resourceType"], res["id"])}
        if display:
            out["display"] = display
        if tables.kinds()[kind].shared:
            self.shared_refs.append(out)  # its resource gets a content id at the end of the run
        return out


_URL_NAMESPACE = uuid.NAMESPACE_URL.bytes


@lru_cache(maxsize=4096)  # the R4 run of a study asks for the names the R5 run just hashed
def uuid5_urn(name: str) -> str:
    """``urn:uuid:`` + ``uuid.uuid5(uuid.NAMESPACE_URL, name)``: the same SHA-1 digest, without UUID objects."""
    b = bytearray(hashlib.sha1(_URL_NAMESPACE + name.encode()).digest()[:16])
    b[6] = b[6] & 0x0F | 0x50  # version 5
    b[8] = b[8] & 0x3F | 0x80  # RFC 4122 variant
    x = b.hex()
    return f"urn:uuid:{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def id_stem(study: str) -> str:
    """FHIR id stem of a study id: lower case, unsafe characters as ``-``, at most 40 characters."""
    out = "".join(c if c.isalnum() or c in "-." else "-" for c in study.lower()).strip("-.")
    return (out or "study")[:40]
