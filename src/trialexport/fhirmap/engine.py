"""Run the mapping rows of one FHIR version over a trial and assemble the resources.

Rows are applied in table order. A row's first source drives iteration (one call per
list item, with its indices); the transform turns the value into FHIR JSON; the target
path places it: ``[]`` takes the next source index, ``[+]`` appends (a list result is
spliced in), a trailing ``?`` keeps an earlier value, ``@name`` wraps the value in the
extension ``name`` of ``extensions.csv`` (R5 elements carried in R4).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson

from ..diagnostics import Diagnostic, info, warning
from ..model import Trial
from ..pathexpr import condition_holds, iter_values
from ..textclean import replace_forbidden
from . import tables
from .transforms import TRANSFORMS, Call


@dataclass(slots=True)
class Context:
    """State of one mapping run: the trial data, the resources built so far, the findings."""

    version: str
    sid: str  # id stem, e.g. "nct04318600"
    study: str  # registry id as written, e.g. "NCT04318600"
    data: dict[str, Any]
    resources: dict[tuple[int, int, int], dict[str, Any]] = field(default_factory=dict)
    orgs: dict[str, dict[str, Any]] = field(default_factory=dict)  # org name -> reference
    goal_ids: list[str] = field(default_factory=list)
    urls: dict[tuple[str, str], str] = field(default_factory=dict)
    homes: dict[Any, dict[str, Any]] = field(default_factory=dict)  # _place: target kind (, item) -> resource
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _warned: set[tuple[str, str]] = field(default_factory=set)

    def warn(self, code: str, message: str, path: str) -> None:
        """Record a warning once per (code, path)."""
        if (code, path) not in self._warned:
            self._warned.add((code, path))
            self.diagnostics.append(warning(code, message, path=path))

    def resource_id(self, kind: str, idx: tuple[int, ...] = (), key: str = "") -> str:
        pattern = tables.kinds()[kind].id
        return pattern.format(sid=self.sid, n=idx[0] + 1 if idx else "", key=key)

    def resource(self, kind: str, idx: tuple[int, ...] = (), key: str = "") -> dict[str, Any]:
        """The resource of ``kind`` (item ``idx[0]`` for list kinds), created on first use."""
        k = tables.kinds()[kind]
        pos = idx[0] if k.name.endswith("[]") else 0
        slot = (k.order, pos, int(key) if key.isdigit() else 0)  # "" / "lead" first
        res = self.resources.get(slot)
        if res is None:
            res = self.resources[slot] = {"resourceType": k.type, "id": self.resource_id(kind, idx, key)}
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


def _get(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for key in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _select(value: Any, fields: tuple[str, ...]) -> Any:
    if fields and isinstance(value, dict):
        picked = {f: value[f] for f in fields if value.get(f) is not None}
        return picked or None
    return value


def _place(ctx: Context, row: tables.Row, idx: tuple[int, ...], value: Any) -> None:
    target = row.target
    if target.list_kind:
        home: Any = (target.kind, idx[0])
        rest = iter(idx[1:])
    else:
        home = target.kind
        rest = iter(idx)
    node: Any = ctx.homes.get(home)
    if node is None:
        node = ctx.homes[home] = ctx.resource(target.kind, idx[:1] if target.list_kind else ())
    if target.extension:
        value = to_extension(target.extension, {target.ext_key: value} if target.ext_key else value)
    last = len(target.path) - 1
    for pos, (key, mode) in enumerate(target.path):
        if mode == "":
            if pos == last:
                if not (target.only_if_unset and key in node):
                    node[key] = value
                return
            node = node.setdefault(key, {})
        elif mode == "[]":
            seq = node.setdefault(key, [])
            i = next(rest)
            while len(seq) <= i:
                seq.append(None)
            if pos == last:
                seq[i] = value
                return
            if seq[i] is None:
                seq[i] = {}
            node = seq[i]
        else:  # "[+]"
            seq = node.setdefault(key, [])
            if pos == last:
                seq.extend(value) if isinstance(value, list) else seq.append(value)
                return
            seq.append({})
            node = seq[-1]


_DATATYPES = (({"coding", "text"}, "valueCodeableConcept"), ({"reference", "display"}, "valueReference"),
              ({"start", "end"}, "valuePeriod"))  # fmt: skip


def to_extension(name: str, value: Any, url: str | None = None, value_type: str = "") -> dict[str, Any]:
    """Wrap an R5-shaped value as a (nested) extension: backbone keys become sub-extension urls."""
    if url is None:
        url, value_type = tables.extensions()[name]
    if isinstance(value, dict):
        for keys, vkey in _DATATYPES:
            if value.keys() <= keys:
                return {"url": url, vkey: value}
        subs: list[dict[str, Any]] = []
        for key, item in value.items():
            for one in item if isinstance(item, list) else [item]:
                subs.append(to_extension(key, one, key))
        return {"url": url, "extension": subs}
    if isinstance(value, bool):
        return {"url": url, "valueBoolean": value}
    if isinstance(value, int):
        return {"url": url, "valueUnsignedInt": value}
    return {"url": url, f"value{(value_type or 'string').capitalize()}": value}


def _compact(node: Any) -> Any:
    """Drop ``None`` holes left in indexed lists."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                node[key] = _compact(value)
    elif isinstance(node, list):
        return [_compact(v) if isinstance(v, (dict, list)) else v for v in node if v is not None]
    return node


def _apply_shape(node: Any, path: tuple[str, ...], rule: str) -> None:
    if isinstance(node, list):
        for item in node:
            _apply_shape(item, path, rule)
        return
    if not isinstance(node, dict):
        return
    key = path[0]
    if len(path) > 1:
        child = node.get(key)
        if child is not None:
            _apply_shape(child, path[1:], rule)
            _apply_shape(child, path, rule)  # self-nesting elements (action.action)
        return
    if key not in node:
        return
    if rule == "drop":
        del node[key]
    elif rule == "list":
        if not isinstance(node[key], list):
            node[key] = [node[key]]
    elif rule.startswith("rename:"):
        node[rule[7:]] = node.pop(key)


# R4 strings (pattern ^[ \r\n\t\S]+$) also refuse whitespace other than space/tab/CR/LF.
_R4_SPACES = "\x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
_R4_SPACE = re.compile(f"[{_R4_SPACES}]")
# In orjson's output a C0 control is an escape (``\b``, ``\f``, ``\u00XX``); U+FFFE/U+FFFF stay raw; a lone
# surrogate makes orjson refuse the data. A match may be a false alarm (a literal backslash): then the walk decides.
_C0_ESCAPE = re.compile(r"\\[bfu]")


def _needs_cleaning(data: Any, version: str) -> bool:
    """Whether any string of ``data`` may hold a character :func:`_clean_text` replaces (a few C-speed scans)."""
    try:
        text = orjson.dumps(data).decode()
    except (TypeError, orjson.JSONEncodeError):
        return True
    if _C0_ESCAPE.search(text) or "\ufffe" in text or "\uffff" in text:
        return True
    return version == "r4" and not text.isascii() and any(c in text for c in _R4_SPACES)


def _clean_text(ctx: Context, node: Any, path: str) -> Any:
    """Make every string of the trial data valid FHIR text, reporting each replacement with its model path."""
    if isinstance(node, dict):
        for key, value in node.items():
            node[key] = _clean_text(ctx, value, f"{path}.{key}" if path else key)
        return node
    if isinstance(node, list):
        return [_clean_text(ctx, v, f"{path}[{i}]") for i, v in enumerate(node)]
    if not isinstance(node, str):
        return node
    node, found = replace_forbidden(node)
    if found:
        ctx.warn("MAP-FHIR-CHAR", f"characters FHIR strings forbid replaced with U+FFFD: {', '.join(found)}", path)
    if ctx.version == "r4" and _R4_SPACE.search(node):
        found = sorted({f"U+{ord(c):04X}" for c in _R4_SPACE.findall(node)})
        ctx.diagnostics.append(info("MAP-FHIR-SPACE", f"whitespace FHIR R4 strings do not allow replaced with a "
                                                      f"space: {', '.join(found)}", path=path))
        node = _R4_SPACE.sub(" ", node)
    return node


def id_stem(study: str) -> str:
    """FHIR id stem of a study id: lower case, unsafe characters as ``-``, at most 40 characters."""
    out = "".join(c if c.isalnum() or c in "-." else "-" for c in study.lower()).strip("-.")
    return (out or "study")[:40]


def run(trial: Trial, version: str) -> tuple[list[tuple[str, dict[str, Any]]], list[Diagnostic]]:
    """Map ``trial`` to ``(fullUrl, resource)`` pairs of ``version`` (bundle order) and the mapping warnings."""
    study = trial.study_id or "study"
    ctx = Context(version, id_stem(study), study, trial.to_data())
    data = ctx.data
    if _needs_cleaning(data, version):
        data = ctx.data = _clean_text(ctx, data, "")
    for row in tables.rows(version):
        if not condition_holds(data, row.when):
            continue
        fn = TRANSFORMS[row.transform]
        if not row.sources:
            items: Any = [((), None)]
        elif getattr(fn, "aggregate", False):
            values = [v for _, v in iter_values(data, row.sources[0].path)]
            items = [((), values)] if values else []
        else:
            items = iter_values(data, row.sources[0].path)
        first = row.sources[0] if row.sources else None
        for idx, value in items:
            if first is not None:
                value = _select(value, first.fields)
            if len(row.sources) > 1:
                value = (value, *(_select(_get(data, s.path), s.fields) for s in row.sources[1:]))
                if all(v is None for v in value):
                    continue
            elif first is not None and value in (None, "", [], {}):
                continue  # FHIR has no empty values
            out = fn(ctx, value, Call(row, idx, first.path if first else ""))
            if out is not None:
                _place(ctx, row, idx, out)
    resources = [ctx.resources[k] for k in sorted(ctx.resources)]
    for res in resources:
        _compact(res)
    for rtype, path, rule in tables.shape_rules(version):
        for res in resources:
            if res["resourceType"] == rtype:
                _apply_shape(res, path, rule)
    return [(ctx.full_url(r["resourceType"], r["id"]), r) for r in resources], ctx.diagnostics
