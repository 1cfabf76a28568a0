"""``trialexport validate``: find what each file is and check it with the exporters' own validators.

Kinds: a document of a format family that claims it (:mod:`trialexport.formats.registry`: FHIR JSON, R5 or R4
detected from content; ODM XML, 1.3.2 or 2.0 by ``ODMVersion``), else a record of a kind the readers know
(:mod:`trialexport.readers.registry`: a ClinicalTrials.gov study, a trial definition, ...). Every finding is a
:class:`~trialexport.diagnostics.Diagnostic` with a stable code, the file, ``line:col`` where it can be located,
and the JSON pointer or XPath.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, TrialExportError, error

EXTENSIONS = (".json", ".xml", ".yaml", ".yml")


def expand(paths: Iterable[str]) -> Iterator[str]:
    """Files named, files under folders (recursively, known extensions, hidden ones skipped, sorted), globs."""
    for raw in paths:
        if os.path.isdir(raw):
            for root, dirs, files in os.walk(raw):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.lower().endswith(EXTENSIONS) and not name.startswith("."):
                        yield os.path.join(root, name)
        elif any(ch in raw for ch in "*?[") and not os.path.exists(raw):
            yield from sorted(glob.glob(raw, recursive=True))
        else:
            yield raw


def validate_file(path: str, *, fhir_version: str | None = None, skip_unknown: bool = False) -> list[Diagnostic]:
    """All findings for one file (empty list: valid); ``"-"`` reads stdin."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        return [error("IO-READ", f"cannot read: {exc.strerror or exc}", file=path)]
    findings = _validate_bytes(data, path, fhir_version, skip_unknown)
    findings.sort(key=lambda d: (d.line or 0, d.col or 0, d.path or ""))
    return [d.located(file=path) for d in findings]


def _validate_bytes(data: bytes, path: str, fhir_version: str | None, skip_unknown: bool) -> list[Diagnostic]:
    """Parse once (JSON or XML), let the first format family that claims the document check it; anything else is
    read as a record (a registry record or a trial definition), as ``convert`` would."""
    from .formats.registry import families

    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    notes: list[Diagnostic] = []
    if head == b"<":
        from .xmlsafe import parse_xml

        try:
            doc: Any = parse_xml(data, source=path)
        except TrialExportError as exc:
            return [exc.diagnostic]
    elif head in (b"{", b"["):
        doc, notes = _load_json(data)
        if doc is None:
            return notes
    else:
        return _validate_record(data, path, skip_unknown)
    hints = {"fhir": fhir_version}
    for family in families():
        if family.claims(doc):
            return notes + family.check(doc, data, hints.get(family.name), path)
    if head == b"<":
        root = doc.getroot().tag
        return [] if skip_unknown else [error("UNKNOWN-KIND", f"XML root <{root}> is not ODM: unknown file kind")]
    return _validate_record(data, path, skip_unknown)


def _load_json(data: bytes) -> tuple[Any, list[Diagnostic]]:
    """The parsed JSON (``None`` if malformed, with the finding); lone surrogates replaced and reported."""
    import orjson

    try:
        return orjson.loads(data), []
    except orjson.JSONDecodeError as exc:
        if "surrogate" not in exc.msg:
            return None, [error("JSON-PARSE", f"malformed JSON: {exc.msg}", line=exc.lineno, col=exc.colno)]
    from .lines import json_pointer
    from .readers.decode import loads_with_surrogates

    obj, scrubbed = loads_with_surrogates(data.decode("utf-8", "replace"))
    return obj, [error("JSON-SURROGATE", f"{d.message}: not valid Unicode text", path=json_pointer(d.path or ""))
                 for d in scrubbed]


def _validate_record(data: bytes, path: str, skip_unknown: bool) -> list[Diagnostic]:
    """A trial definition (model shape) or a ClinicalTrials.gov record: read it as convert would."""
    from .readers import read_bytes

    findings: list[Diagnostic] = []
    for res in read_bytes(data, name=path):
        errors = [d for d in res.diagnostics if d.is_error]
        if skip_unknown and any(d.code in ("READ-FORMAT", "READ-NOT-STUDY") for d in errors):
            return []
        findings.extend(d.located(record=None) if d.record == "" else d for d in errors)
    return findings
