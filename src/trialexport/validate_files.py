"""``trialexport validate``: find what each file is and check it with the exporters' own validators.

Kinds: a document of a format family that claims it (:mod:`trialexport.formats.registry`: FHIR JSON, R5 or R4
detected from content; ODM XML, with Define-XML, Dataset-XML, ClinicalData-only and vendor-extended ODM recognised),
else a record of a kind the readers know (:mod:`trialexport.readers.registry`: a ClinicalTrials.gov study, a trial
definition, ...), checked by converting it as ``convert`` would. NDJSON (one document per line, e.g. what ``convert``
writes to stdout) is checked line by line. Every finding is a :class:`~trialexport.diagnostics.Diagnostic` with a
stable code, the file, ``line:col`` where it can be located, and the JSON pointer or XPath; each file gets a
:class:`FileResult` saying what it was taken for, and why, and whether it is valid, invalid or skipped.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, TrialExportError, error

EXTENSIONS = (".json", ".xml", ".yaml", ".yml", ".ndjson")
KIND, SKIP = "VALIDATE-KIND", "VALIDATE-SKIP"  # information findings: what a file was taken for; why it is skipped


@dataclass(slots=True)
class FileResult:
    """The verdict on one file: ``status`` is ``valid``, ``invalid`` (an error) or ``skipped`` (not validated)."""

    path: str
    kind: str = "unknown"
    status: str = "valid"
    findings: list[Diagnostic] = field(default_factory=list)
    reason: str = ""  # why the file was skipped

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.path, "kind": self.kind, "status": self.status,
                               "valid": self.status == "valid", "findings": [d.to_dict() for d in self.findings]}
        if self.reason:
            out["reason"] = self.reason
        return out


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


def validate_file(path: str, *, fhir_version: str | None = None, skip_unknown: bool = False,
                  severities: dict[str, str] | None = None) -> FileResult:
    """The verdict on one file (``"-"`` reads stdin). ``severities``: code -> ``error``/``warning``/``info``/``ignore``
    (overrides of the default severity of a rule, e.g. ``{"ODM-OIDREF": "warning"}``)."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        return _verdict(path, [error("IO-READ", f"cannot read: {exc.strerror or exc}")], severities)
    lines = _ndjson_lines(data)
    if lines is not None:
        found: list[Diagnostic] = []
        kinds: list[str] = []
        for lineno, line in lines:
            one = _validate_bytes(line, path, fhir_version, skip_unknown)
            kinds += [d.message for d in one if d.code == KIND]
            found += [replace(d, record=d.record or f"line {lineno}", line=lineno, col=None) for d in one
                      if d.code != KIND]
        result = _verdict(path, found, severities)
        result.kind = f"NDJSON, {len(lines)} document(s): " + "; ".join(sorted(set(kinds)) or ["unknown"])
        return result
    return _verdict(path, _validate_bytes(data, path, fhir_version, skip_unknown), severities)


def _verdict(path: str, found: list[Diagnostic], severities: dict[str, str] | None) -> FileResult:
    result = FileResult(path)
    kept = []
    for d in found:
        if d.code == KIND:
            result.kind = d.message
            continue
        override = (severities or {}).get(d.code)
        if override == "ignore":
            continue
        if override is not None and override != d.severity:
            d = replace(d, severity=override)  # type: ignore[arg-type]
        kept.append(d)
    kept.sort(key=lambda d: (d.line or 0, d.col or 0, d.path or ""))
    result.findings = [d.located(file=path) for d in kept]
    skips = [d.message for d in result.findings if d.code == SKIP]
    if any(d.is_error for d in result.findings):
        result.status = "invalid"
    elif skips:
        result.status, result.reason = "skipped", skips[0]
    return result


def _ndjson_lines(data: bytes) -> list[tuple[int, bytes]] | None:
    """The non-blank lines of NDJSON text (two or more JSON objects, one per line), else ``None``."""
    from .readers.containers import sniff

    if sniff(data[:65536]) != "ndjson":
        return None
    return [(i, line) for i, line in enumerate(data.split(b"\n"), 1) if line.strip()]


def _validate_bytes(data: bytes, path: str, fhir_version: str | None, skip_unknown: bool) -> list[Diagnostic]:
    """Parse once (JSON or XML), let the first format family that claims the document check it; anything else is
    read as a record (a registry record or a trial definition), as ``convert`` would."""
    from .diagnostics import info
    from .formats.registry import families

    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    notes: list[Diagnostic] = []
    if head == b"<":
        from .xmlsafe import parse_xml

        try:
            doc: Any = parse_xml(data, source=path)
        except TrialExportError as exc:
            return [info(KIND, "XML"), exc.diagnostic]
    elif head in (b"{", b"["):
        doc, notes = _load_json(data)
        if doc is None:
            return [info(KIND, "JSON"), *notes]
    else:
        return _validate_record(data, path, skip_unknown)
    hints = {"fhir": fhir_version}
    for family in families():
        if family.claims(doc):
            return notes + family.check(doc, data, hints.get(family.name), path)
    if head == b"<":
        root = doc.getroot().tag
        return [info(KIND, f"XML <{root}>"), _unknown(f"XML root <{root}> is not ODM: unknown file kind", skip_unknown)]
    return _validate_record(data, path, skip_unknown)


def _unknown(message: str, skip_unknown: bool) -> Diagnostic:
    from .diagnostics import info

    return info(SKIP, f"skipped (--skip-unknown): {message}") if skip_unknown else error("UNKNOWN-KIND", message)


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
    """A trial definition (model shape) or a ClinicalTrials.gov record: read it and map it to every export format,
    as ``convert --to all`` would, and report what that reports (errors and warnings; information notes too)."""
    from .diagnostics import info
    from .formats.base import Options
    from .formats.registry import EXPORTS
    from .pipeline.record import convert_result
    from .readers import read_bytes
    from .readers.registry import get

    findings: list[Diagnostic] = []
    titles: list[str] = []
    for res in read_bytes(data, name=path):
        errors = [d for d in res.diagnostics if d.is_error]
        if any(d.code in ("READ-FORMAT", "READ-NOT-STUDY") for d in errors):
            return [info(KIND, "unknown"), _unknown(errors[0].message, skip_unknown)]
        if res.source_format not in ("", "error", "unknown"):
            titles.append(get(res.source_format).title)
        outcome, _ = convert_result(res, EXPORTS, Options())
        findings.extend(d.located(record=None) if d.record == "" else d for d in outcome.diagnostics)
    kind = ", ".join(sorted(set(titles))) or "record"
    return [info(KIND, f"{kind} (read and converted to every format, as convert would)"), *findings]
