"""Run the mapping rows of one FHIR version over a trial and assemble the resources.

Rows are applied in table order. A row's first source drives iteration (one call per
list item, with its indices); the transform turns the value into FHIR JSON; the target
path places it: ``[]`` takes the next source index, ``[+]`` appends (a list result is
spliced in), a trailing ``?`` keeps an earlier value, ``@name`` wraps the value in the
extension ``name`` of ``extensions.csv`` (R5 elements carried in R4, the project's extensions; a list result gives
one extension per item). Resources of ``shared`` kinds get content-derived ids at the end (:mod:`.shared`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson

from trialexport.diagnostics import Diagnostic, info
from trialexport.mapkit.pathexpr import condition_holds, iter_values
from trialexport.mapkit.sources import Source
from trialexport.mapkit.textclean import replace_forbidden
from trialexport.mapkit.transforms import Call, Transform
from trialexport.model import Trial

from . import shared, tables
from .context import Context, id_stem, uuid5_urn
from .extensions import extension
from .shapes import apply_shape
from .transforms import TRANSFORMS

__all__ = ["Context", "id_stem", "run", "uuid5_urn"]


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


@dataclass(frozen=True, slots=True)
class _Step:
    """A mapping row resolved once per process, so the per-record loop looks nothing up."""

    row: tables.Row
    fn: Transform
    aggregate: bool  # the transform gets all values of the first source at once
    source: str  # first source path ("": the row reads nothing)
    fields: tuple[str, ...]  # of the first source
    others: tuple[Source, ...]  # further sources, read whole (no indices)
    kind: str
    depth: int  # source indices that name the resource (0, 1 or 2)
    inner: tuple[tuple[str, str], ...]  # target path steps before the last
    leaf: tuple[str, str]  # the last (key, mode)
    indexed: bool  # the target path takes source indices ("[]")
    only_if_unset: bool
    extension: tuple[str, str] | None  # (extension name, sub-extension key) of the wrap


@cache
def _steps(version: str) -> tuple[_Step, ...]:
    out = []
    for row in tables.rows(version):
        fn = TRANSFORMS.get(row.transform)
        first = row.sources[0] if row.sources else Source("")
        target = row.target
        ext = (target.extension, target.ext_key or "") if target.extension else None
        out.append(_Step(row, fn, row.transform in TRANSFORMS.aggregate, first.path, first.fields, row.sources[1:],
                         target.kind, target.depth, target.path[:-1], target.path[-1],
                         any(mode == "[]" for _, mode in target.path), target.only_if_unset, ext))  # fmt: skip
    return tuple(out)


_NO_SOURCE = (((), None),)


def _place(ctx: Context, step: _Step, idx: tuple[int, ...], value: Any) -> None:
    depth = step.depth
    home: Any = (step.kind, *idx[:depth]) if depth else step.kind
    node: Any = ctx.homes.get(home)
    if node is None:
        node = ctx.homes[home] = ctx.resource(step.kind, idx[:depth])
    if step.extension:
        name, key = step.extension
        if isinstance(value, list):
            value = [extension(name, {key: v} if key else v) for v in value]
        else:
            value = extension(name, {key: value} if key else value)
    rest = iter(idx[depth:]) if step.indexed else None
    for key, mode in step.inner:
        if mode == "":
            node = node.setdefault(key, {})
        elif mode == "[]":
            seq = node.setdefault(key, [])
            i = _slot(ctx, seq, next(rest))  # type: ignore[arg-type]
            if seq[i] is None:
                seq[i] = {}
            node = seq[i]
        else:  # "[+]"
            seq = node.setdefault(key, [])
            seq.append({})
            node = seq[-1]
    key, mode = step.leaf
    if mode == "":
        if not (step.only_if_unset and key in node):
            node[key] = value
    elif mode == "[]":
        seq = node.setdefault(key, [])
        seq[_slot(ctx, seq, next(rest))] = value  # type: ignore[arg-type]
    elif isinstance(value, list):  # "[+]": a list is spliced in
        node.setdefault(key, []).extend(value)
    else:
        node.setdefault(key, []).append(value)


def _slot(ctx: Context, seq: list[Any], i: int) -> int:
    """Make index ``i`` of ``seq`` exist; padding ``None`` left unfilled is dropped at the end of the run."""
    if len(seq) <= i:
        if len(seq) < i:
            ctx.holes.append(seq)
        seq.extend([None] * (i + 1 - len(seq)))
    return i


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
    if isinstance(node, dict):  # a new dict: the trial data may be shared
        return {key: _clean_text(ctx, value, f"{path}.{key}" if path else key) for key, value in node.items()}
    if isinstance(node, list):
        return [_clean_text(ctx, v, f"{path}[{i}]") for i, v in enumerate(node)]
    if not isinstance(node, str):
        return node
    node, found = replace_forbidden(node)
    if found:
        ctx.report("MAP-FHIR-CHAR", f"characters FHIR strings forbid replaced with U+FFFD: {', '.join(found)}", path)
    if ctx.version == "r4" and _R4_SPACE.search(node):
        found = sorted({f"U+{ord(c):04X}" for c in _R4_SPACE.findall(node)})
        ctx.diagnostics.append(info("MAP-FHIR-SPACE", f"whitespace FHIR R4 strings do not allow replaced with a "
                                                      f"space: {', '.join(found)}", path=path))
        node = _R4_SPACE.sub(" ", node)
    return node


def run(trial: Trial, version: str) -> tuple[list[tuple[str, dict[str, Any]]], list[Diagnostic]]:
    """Map ``trial`` to ``(fullUrl, resource)`` pairs of ``version`` (bundle order) and the mapping warnings."""
    study = trial.study_id or "study"
    ctx = Context(trial.to_data(), version=version, sid=id_stem(study), study=study)
    data = ctx.data
    if _needs_cleaning(data, version):
        data = ctx.data = _clean_text(ctx, data, "")
    for step in _steps(version):
        row = step.row
        if row.when is not None and not condition_holds(data, row.when):
            continue
        if not step.source:
            items: Any = _NO_SOURCE
        else:
            items = iter_values(data, step.source)
            if not items and step.others and "[]" not in step.source:
                items = _NO_SOURCE  # the first source is absent, a further one may not be (a maximum age alone)
            elif not items:
                continue
            if step.aggregate:
                items = [((), [v for _, v in items])]
        others = tuple(_select(_get(data, s.path), s.fields) for s in step.others) if step.others else ()
        fn, source, fields = step.fn, step.source, step.fields
        call = Call(row, (), source)
        for idx, value in items:
            if fields:
                value = _select(value, fields)
            if others:
                value = (value, *others)
                if all(v is None for v in value):
                    continue
            elif source and (value is None or (not value and isinstance(value, (str, list, dict)))):
                continue  # FHIR has no empty values
            call.idx = idx
            out = fn(ctx, value, call)
            if out is not None:
                _place(ctx, step, idx, out)
    for seq in ctx.holes:  # indices no row filled
        seq[:] = [v for v in seq if v is not None]
    resources = shared.assign(ctx, sorted(ctx.resources))
    for rtype, path, rule in tables.shape_rules(version):
        for res in resources:
            if res["resourceType"] == rtype:
                apply_shape(res, path, rule)
    return [(ctx.full_url(r["resourceType"], r["id"]), r) for r in resources], ctx.diagnostics
