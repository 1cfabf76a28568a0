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
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from trialexport.diagnostics import Diagnostic, error, warning

from . import registry, split_parts
from .base import Reader
from .ctgov import READER as CTGOV
from .decode import DecodeError, load_yaml, loads_with_surrogates

HEAD = 64 * 1024
STREAM_PAGE_ABOVE = 32 * 1024 * 1024  # pages larger than this are streamed with ijson
MAX_MEMBER_BYTES = 256 * 1024 * 1024  # one zip member, uncompressed
MAX_RATIO = 200  # uncompressed / compressed, above which a large member is treated as a bomb
MEMBER_SUFFIXES = (".json", ".yaml", ".yml", ".txt", ".ndjson")  # zip members read; others are skipped


@dataclass(slots=True)
class RawRecord:
    kind: str  # a reader name (registry), "unknown" (no reader claims it) or "error"; deferred: "member" | "line"
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
        kind = sniff(head)
        if kind == "ndjson":
            fh.seek(0)
            yield from _iter_ndjson(fh, "", defer)
        elif kind == "json" and size > STREAM_PAGE_ABOVE and b'"studies"' in head:
            fh.seek(0)
            yield from _iter_page_stream(fh)
        elif kind == "json" and (parts := split_parts.later_parts(Path(path))):
            yield from iter_raw_bytes(split_parts.joined(head + fh.read(), parts), fmt, display)
        else:
            yield from iter_raw_bytes(head + fh.read(), fmt, display)


def count_records(path: str | Path) -> int | None:
    """Roughly how many records a file holds, without decoding them: a zip's record members, NDJSON lines, else 1
    (``None`` if the file cannot be read). For progress estimates only."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD)
            if head[:4] == b"PK\x03\x04":
                with zipfile.ZipFile(fh) as zf:
                    return sum(1 for name in zf.namelist() if name.lower().endswith(MEMBER_SUFFIXES))
            if sniff(head) != "ndjson":
                return 1
            rest = iter(lambda: fh.read(1 << 20), b"")
            return head.count(b"\n") + sum(chunk.count(b"\n") for chunk in rest)
    except (OSError, zipfile.BadZipFile):
        return None


def iter_raw_bytes(data: bytes, fmt: str | None, display: str, *, defer: bool = False) -> Iterator[RawRecord]:
    """Records of an in-memory input (``defer``: as in :func:`iter_raw`)."""
    if data[:4] == b"PK\x03\x04":
        yield from _iter_zip(io.BytesIO(data), fmt, defer)
        return
    kind = sniff(data[:HEAD])
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


def sniff(head: bytes) -> str:
    """What the start of an input looks like: ``"ndjson"`` (one JSON object per line), ``"json"`` or ``"text"``."""
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
    """Route a decoded JSON/YAML value: one record (the reader forced by ``fmt`` or the first that claims it), or a
    container of records (a ``{"studies": [...]}`` page or an array), split item by item."""
    reader = registry.get(fmt) if fmt else registry.detect(obj, "json")
    if reader is not None and reader.claims(obj):
        yield RawRecord(reader.name, _label(record, None, reader, obj), obj)
        return
    if isinstance(obj, dict) and isinstance(obj.get("studies"), list):
        items = obj["studies"]
    elif isinstance(obj, list):
        items = obj
    else:
        yield RawRecord(fmt or "unknown", record, obj)
        return
    for i, item in enumerate(items):
        found = registry.get(fmt) if fmt else registry.detect(item, "json")
        yield RawRecord(found.name if found else "unknown", _label(record, i, found, item), item)


def _label(record: str, index: int | None, reader: Reader | None, value: Any) -> str:
    """'#3 NCT01234567' style record label: position in the container and the record's id if its reader finds one."""
    rid = reader.record_id(value) if reader is not None else None
    position = f"#{index + 1}" if index is not None else ""
    return " ".join(p for p in (record, position, rid or "") if p)


def _from_text(text: str, fmt: str | None, record: str) -> Iterator[RawRecord]:
    stripped = text.lstrip()
    if (fmt is None or registry.get(fmt).shape == "json") and stripped[:1] in ("{", "["):
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
            if rec.record == record:  # the text is one record: keep it, to locate errors by line
                rec.lines = text
            rec.diagnostics[:0] = notes
            yield rec
        return
    forced = registry.get(fmt) if fmt else None
    reader = forced if forced is not None and forced.shape == "text" else None
    if forced is None:
        reader = registry.detect(text, "text")
    if reader is not None:
        yield RawRecord(reader.name, record, text)
        return
    if stripped.startswith("<"):
        xml_reader = forced if forced is not None and forced.shape == "xml" else registry.detect(text, "xml")
        if xml_reader is not None:
            yield RawRecord(xml_reader.name, record, text)
            return
        yield _fail(record, "READ-FORMAT", "XML input is not a supported record format (legacy <clinical_study> "
                    "XML is not read; use the API v2 JSON); to validate ODM use 'trialexport validate'")
        return
    try:
        obj = load_yaml(text)
    except DecodeError as exc:
        yield _fail(record, exc.code, exc.message, line=exc.line, col=exc.col)
        return
    found = forced if forced is not None else registry.detect(obj, "json")
    if found is not None and isinstance(obj, dict):
        yield RawRecord(found.name, record, obj, lines=text)
    else:
        yield _fail(record, "READ-FORMAT", f"not a recognised input: expected one of: {registry.described()}")


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
            yield RawRecord(CTGOV.name, _label("", i, CTGOV, study), study)
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
            if not name.lower().endswith(MEMBER_SUFFIXES):
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
    if sniff(data[:HEAD]) == "ndjson":
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
