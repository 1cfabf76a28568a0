"""Split an input file into raw records, detecting its kind by content.

Nothing here understands studies; it only finds record boundaries safely: one JSON
study, a ``{"studies": [...]}`` page (streamed when large), a JSON array, NDJSON
(streamed line by line), a zip of JSON members (streamed member by member, with limits
against zip bombs and unsafe names), a study-page text, or a YAML/JSON model file.
Each failure becomes a RawRecord of kind ``"error"`` so the batch goes on.

With ``defer=True`` a zip member or an NDJSON line is handed out undecoded (kind ``"member"``/``"line"``) and
:func:`expand` decodes it later: bulk conversion decodes in its worker processes, so the main process only splits
the input.
"""

from __future__ import annotations

import io
import os
import re
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from trialexport.diagnostics import Diagnostic, error, warning

HEAD = 64 * 1024
STREAM_PAGE_ABOVE = 32 * 1024 * 1024  # pages larger than this are streamed with ijson
MAX_MEMBER_BYTES = 256 * 1024 * 1024  # one zip member, uncompressed
MAX_RATIO = 200  # uncompressed / compressed, above which a large member is treated as a bomb
MAX_DEPTH = 64  # nesting of one record; registry records use about 8 levels, serializers stop near 255
MAX_YAML_ALIASES = 100
MAX_YAML_NODES = 1_000_000  # values after alias expansion: a few aliases nested deep still make a bomb
MODEL_KEYS = frozenset(
    {"identification", "status", "sponsors", "oversight", "description", "conditions", "design", "arms",
     "interventions", "outcomes", "eligibility", "central_contacts", "overall_officials", "locations",
     "references", "see_also_links", "avail_ipds", "ipd_sharing", "has_results", "extras"}
)  # fmt: skip


@dataclass(slots=True)
class RawRecord:
    kind: str  # "ctgov" | "page" | "model" | "error"; deferred: "member" | "line" (see expand)
    record: str
    obj: Any = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    lines: str | None = None  # model files: the text, to locate errors by line


def _fail(record: str, code: str, message: str, **where: Any) -> RawRecord:
    return RawRecord("error", record, None, [error(code, message, **where)])


def iter_raw(path: str | Path, fmt: str | None, display: str, *, defer: bool = False) -> Iterator[RawRecord]:
    """Records of a file on disk (``"-"``: stdin), streamed where the container allows.

    ``defer``: zip members and NDJSON lines come undecoded; pass each record through :func:`expand`.
    """
    if str(path) == "-":
        yield from iter_raw_bytes(sys.stdin.buffer.read(), fmt, display, defer=defer)
        return
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        yield _fail("", "READ-IO", f"cannot open: {exc.strerror or exc}")
        return
    with fh:
        head = fh.read(HEAD)
        if head[:4] == b"PK\x03\x04":
            fh.seek(0)
            yield from _iter_zip(fh, fmt, defer)
            return
        size = os.fstat(fh.fileno()).st_size
        kind = _sniff(head)
        if kind == "ndjson":
            fh.seek(0)
            yield from _iter_ndjson(fh, "", defer)
        elif kind == "json" and size > STREAM_PAGE_ABOVE and b'"studies"' in head:
            fh.seek(0)
            yield from _iter_page_stream(fh)
        else:
            yield from iter_raw_bytes(head + fh.read(), fmt, display)


def iter_raw_bytes(data: bytes, fmt: str | None, display: str, *, defer: bool = False) -> Iterator[RawRecord]:
    """Records of an in-memory input (``defer``: as in :func:`iter_raw`)."""
    if data[:4] == b"PK\x03\x04":
        yield from _iter_zip(io.BytesIO(data), fmt, defer)
        return
    kind = _sniff(data[:HEAD])
    if kind == "ndjson":
        yield from _iter_ndjson(io.BytesIO(data), "", defer)
        return
    text, problem = _decode(data)
    if problem is not None:
        yield problem
        return
    assert text is not None
    notes = []
    if data[:3] == b"\xef\xbb\xbf":
        notes.append(warning("READ-BOM", "file starts with a UTF-8 byte-order mark (ignored)"))
    for rec in _from_text(text, fmt, ""):
        rec.diagnostics[:0] = notes
        yield rec


def _sniff(head: bytes) -> str:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        first, sep, rest = stripped.partition(b"\n")
        if sep and rest.strip() and first.strip().startswith(b"{") and first.strip().endswith(b"}"):
            try:
                orjson.loads(first)
                return "ndjson"
            except orjson.JSONDecodeError:
                pass
        return "json"
    return "text"


def _decode(data: bytes) -> tuple[str | None, RawRecord | None]:
    if not data.strip():
        return None, _fail(
            "", "READ-EMPTY", "empty file: expected a study record, a page of studies or a trial definition"
        )
    if b"\x00" in data[:HEAD]:
        message = "binary file (contains NUL bytes): expected JSON, YAML or study-page text"
        return None, _fail("", "READ-BINARY", message)
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, _fail(
            "", "READ-ENCODING", f"not UTF-8 text: invalid byte 0x{data[exc.start]:02x} at offset {exc.start}"
        )


def _json_error(exc: orjson.JSONDecodeError, record: str = "") -> RawRecord:
    return _fail(record, "READ-JSON", f"malformed JSON: {exc.msg}", line=exc.lineno, col=exc.colno)


def _classify(obj: Any, record: str, fmt: str | None) -> Iterator[RawRecord]:
    """Route a decoded JSON value: a study, a page, an array of studies, or a model."""
    if fmt == "model" or (fmt is None and isinstance(obj, dict) and obj and set(obj) <= MODEL_KEYS):
        yield RawRecord("model", record, obj)
    elif isinstance(obj, dict) and isinstance(obj.get("studies"), list):
        for i, study in enumerate(obj["studies"]):
            yield RawRecord("ctgov", _label(record, i, study), study)
    elif isinstance(obj, list):
        for i, study in enumerate(obj):
            yield RawRecord("ctgov", _label(record, i, study), study)
    elif isinstance(obj, dict):
        yield RawRecord("ctgov", _label(record, None, obj), obj)
    else:
        yield _fail(record, "READ-NOT-STUDY", f"expected a JSON object, got {type(obj).__name__}")


def _label(record: str, index: int | None, study: Any) -> str:
    """'#3 NCT01234567' style record label: position in the container and the NCT id if present."""
    nct = None
    if isinstance(study, dict):
        section = study.get("protocolSection")
        ident = section.get("identificationModule") if isinstance(section, dict) else None
        nct = ident.get("nctId") if isinstance(ident, dict) else None
    position = f"#{index + 1}" if index is not None else ""
    parts = [p for p in (record, position, nct if isinstance(nct, str) else "") if p]
    return " ".join(parts)


def _from_text(text: str, fmt: str | None, record: str) -> Iterator[RawRecord]:
    stripped = text.lstrip()
    if fmt in (None, "ctgov", "model") and stripped[:1] in ("{", "["):
        notes: list[Diagnostic] = []
        try:
            obj = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            if "surrogate" not in exc.msg:
                yield _json_error(exc, record)
                return
            obj, notes = loads_with_surrogates(text)
            if obj is None:
                yield _json_error(exc, record)
                return
        except RecursionError:
            yield _fail(record, "READ-JSON", "JSON nested too deeply")
            return
        for rec in _classify(obj, record, fmt):
            if rec.kind == "model":
                rec.lines = text
            rec.diagnostics[:0] = notes
            yield rec
        return
    if fmt == "page" or fmt is None:
        from .study_page import is_study_page

        if fmt == "page" or is_study_page(text):
            yield RawRecord("page", record, text)
            return
    if stripped.startswith("<"):
        yield _fail(record, "READ-FORMAT", "XML input is not a supported record format (legacy <clinical_study> "
                    "XML is not read; use the API v2 JSON); to validate ODM use 'trialexport validate'")
        return
    obj, problem = load_yaml(text, record)
    if problem is not None:
        yield problem
        return
    if isinstance(obj, dict) and (fmt == "model" or set(obj) <= MODEL_KEYS):
        yield RawRecord("model", record, obj, lines=text)
    elif fmt == "ctgov" and isinstance(obj, dict):
        yield from _classify(obj, record, fmt)
    else:
        yield _fail(record, "READ-FORMAT", "not a recognised input: expected ClinicalTrials.gov JSON, a study page "
                    "or a trial definition (YAML/JSON with keys such as 'identification')")


def load_yaml(text: str, record: str = "") -> tuple[Any, RawRecord | None]:
    """Parse YAML safely: no Python object tags, and a cap on aliases (alias bombs)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        aliases = 0
        if "*" in text:
            for event in yaml.parse(text, Loader=loader):
                if isinstance(event, yaml.AliasEvent):
                    aliases += 1
                    if aliases > MAX_YAML_ALIASES:
                        return None, _fail(record, "READ-YAML", f"YAML uses more than {MAX_YAML_ALIASES} aliases "
                                           "(refused as a possible alias bomb)")
        obj = yaml.load(text, Loader=loader)  # a safe loader
        size = _expanded_size(obj, {}) if aliases else 0
        if size < 0:
            message = "YAML alias refers to its own anchor (recursive structure): refused"
            return None, _fail(record, "READ-YAML", message)
        if size > MAX_YAML_NODES:
            return None, _fail(record, "READ-YAML", f"YAML aliases expand to more than {MAX_YAML_NODES} values "
                               "(refused as a possible alias bomb)")
        return obj, None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        msg = f"malformed YAML: {exc.problem or exc.context}"
        if mark is not None:
            return None, _fail(record, "READ-YAML", msg, line=mark.line + 1, col=mark.column + 1)
        return None, _fail(record, "READ-YAML", msg)
    except yaml.YAMLError as exc:
        return None, _fail(record, "READ-YAML", f"malformed YAML: {exc}")
    except RecursionError:
        return None, _fail(record, "READ-YAML", "YAML nested too deeply")


_SURROGATE = re.compile("[\ud800-\udfff]")


def loads_with_surrogates(text: str) -> tuple[Any, list[Diagnostic]]:
    """Parse JSON that escapes lone surrogates (``"\\ud800"``, which orjson refuses) and replace them with U+FFFD.

    Returns ``(None, [])`` when the text is malformed for another reason too.
    """
    import json

    notes: list[Diagnostic] = []
    try:
        return _scrub(json.loads(text), "", notes), notes
    except (ValueError, RecursionError):
        return None, []


def _scrub(node: Any, path: str, notes: list[Diagnostic]) -> Any:
    if isinstance(node, str):
        if _SURROGATE.search(node) is None:
            return node
        bad = ", ".join(sorted({f"U+{ord(c):04X}" for c in _SURROGATE.findall(node)}))
        notes.append(warning("READ-SURROGATE", f"lone surrogate(s) {bad} replaced with U+FFFD", path=path or None))
        return _SURROGATE.sub("\ufffd", node)
    if isinstance(node, dict):
        return {_scrub(k, path, notes): _scrub(v, f"{path}.{k}" if path else str(k), notes) for k, v in node.items()}
    if isinstance(node, list):
        return [_scrub(v, f"{path}[{i}]", notes) for i, v in enumerate(node)]
    return node


def _expanded_size(node: Any, memo: dict[int, int]) -> int:
    """Number of values ``node`` has once aliases are expanded; -1 when a container contains itself."""
    if not isinstance(node, (dict, list)):
        return 1
    key = id(node)
    if key not in memo:
        memo[key] = -1  # in progress: meeting it again below means a cycle (``&a [*a]``)
        total = 1
        for value in node.values() if isinstance(node, dict) else node:
            size = _expanded_size(value, memo)
            if size < 0:
                return -1
            total += size
        memo[key] = total
    return memo[key]


def too_deep(obj: Any, limit: int = MAX_DEPTH) -> str | None:
    """Path of the first value nested deeper than ``limit`` levels in ``obj``, or None (iterative: no recursion).

    Only containers are visited and paths are built only for the answer. Most records are first cleared at C
    speed: in orjson's indented output a value nested ``d`` levels deep starts a line indented ``2 * d`` spaces.
    """
    if not isinstance(obj, (dict, list)):
        return None
    if limit > 0:
        try:
            text = orjson.dumps(obj, option=orjson.OPT_INDENT_2)
        except (TypeError, orjson.JSONEncodeError):  # not JSON data (YAML keys, sets, big ints) or very deep
            pass
        else:
            if b"\n" + b" " * (2 * limit) not in text:
                return None
    stack: list[tuple[Any, int, Any]] = [(obj, 0, None)]  # (container, depth, trail = (parent trail, key))
    while stack:
        node, depth, trail = stack.pop()
        if depth >= limit:
            return _trail_path(trail)
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if isinstance(value, (dict, list)):
                stack.append((value, depth + 1, (trail, key)))
    return None


def _trail_path(trail: Any) -> str:
    parts: list[str] = []
    while trail is not None:
        trail, key = trail
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    path = "".join(reversed(parts)).lstrip(".")
    return path if len(path) <= 80 else path[:60] + "..." + path[-17:]


def expand(raw: RawRecord) -> Iterator[RawRecord]:
    """The records a deferred zip member or NDJSON line holds (decoded now); any other record as it is."""
    if raw.kind == "member":
        yield from _member_records(raw.record, *raw.obj)
    elif raw.kind == "line":
        yield from _line_records(raw.record, *raw.obj)
    else:
        yield raw


def _iter_ndjson(fh: IO[bytes], prefix: str = "", defer: bool = False) -> Iterator[RawRecord]:
    for lineno, line in enumerate(fh, 1):
        if not line.strip():
            continue
        record = f"{prefix}line {lineno}"
        if defer:
            yield RawRecord("line", record, (lineno, line))
        else:
            yield from _line_records(record, lineno, line)


def _line_records(record: str, lineno: int, line: bytes) -> Iterator[RawRecord]:
    notes: list[Diagnostic] = []
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        if "surrogate" in exc.msg:
            obj, notes = loads_with_surrogates(line.decode("utf-8", "replace"))
        if not notes:
            yield _fail(record, "READ-JSON", f"malformed JSON: {exc.msg}", line=lineno, col=exc.colno)
            return
    except RecursionError:
        yield _fail(record, "READ-JSON", "JSON nested too deeply", line=lineno)
        return
    for rec in _classify(obj, record, None):
        rec.diagnostics[:0] = notes
        yield rec


def _iter_page_stream(fh: IO[bytes]) -> Iterator[RawRecord]:
    import ijson

    i = 0
    try:
        for i, study in enumerate(ijson.items(fh, "studies.item", use_float=True)):
            yield RawRecord("ctgov", _label("", i, study), study)
    except ijson.JSONError as exc:
        yield _fail(f"#{i + 2}", "READ-JSON", f"malformed JSON in page after study #{i + 1}: {exc}")


def _iter_zip(fh: IO[bytes], fmt: str | None, defer: bool = False) -> Iterator[RawRecord]:
    try:
        zf = zipfile.ZipFile(fh)
        members = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        yield _fail("", "READ-ZIP", f"corrupt zip archive: {exc}")
        return
    with zf:
        for info in sorted(members, key=lambda m: m.filename):
            name = info.filename
            if info.is_dir():
                continue
            if name.startswith(("/", "\\")) or ".." in Path(name.replace("\\", "/")).parts:
                yield _fail(name, "READ-ZIP-NAME", "unsafe member name (absolute or '..' path): refused")
                continue
            if not name.lower().endswith((".json", ".yaml", ".yml", ".txt", ".ndjson")):
                continue
            if info.file_size > MAX_MEMBER_BYTES or (
                info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1)
            ):
                yield _fail(name, "READ-ZIP-BOMB", f"member expands to {info.file_size} bytes from "
                            f"{info.compress_size} (limit {MAX_MEMBER_BYTES} bytes, ratio {MAX_RATIO}): refused")
                continue
            try:
                with zf.open(info) as member:
                    data = member.read(MAX_MEMBER_BYTES + 1)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                yield _fail(name, "READ-ZIP", f"corrupt zip member: {exc}")
                continue
            except Exception as exc:  # zlib.error and friends: the member is damaged
                yield _fail(name, "READ-ZIP", f"corrupt zip member: {exc}")
                continue
            if len(data) > MAX_MEMBER_BYTES:
                yield _fail(name, "READ-ZIP-BOMB", f"member larger than {MAX_MEMBER_BYTES} bytes: refused")
                continue
            if defer:
                yield RawRecord("member", name, (data, fmt))
            else:
                yield from _member_records(name, data, fmt)


def _member_records(name: str, data: bytes, fmt: str | None) -> Iterator[RawRecord]:
    if _sniff(data[:HEAD]) == "ndjson":
        yield from _iter_ndjson(io.BytesIO(data), f"{name} ")
        return
    text, problem = _decode(data)
    if problem is not None:
        problem.record = name
        yield problem
        return
    assert text is not None
    for rec in _from_text(text, fmt, name):
        if data[:3] == b"\xef\xbb\xbf":
            bom = warning("READ-BOM", "member starts with a UTF-8 byte-order mark (ignored)")
            rec.diagnostics.insert(0, bom)
        yield rec
