"""``trialexport validate``: find what each file is and check it with the exporters' own validators.

Kinds: FHIR JSON (a resource or a Bundle; R5 or R4 detected from content), ODM XML (1.3.2 or 2.0,
by ``ODMVersion``), a trial definition in the model's shape (YAML/JSON) and a ClinicalTrials.gov
study record. Every finding is a :class:`~trialexport.diagnostics.Diagnostic` with a stable
code, the file, ``line:col`` where it can be located, and the JSON pointer or XPath.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

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
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return _validate_xml(data, path, skip_unknown)
    if head in (b"{", b"["):
        import orjson

        notes: list[Diagnostic] = []
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            if "surrogate" not in exc.msg:
                return [error("JSON-PARSE", f"malformed JSON: {exc.msg}", line=exc.lineno, col=exc.colno)]
            from trialexport.readers.containers import loads_with_surrogates

            obj, scrubbed = loads_with_surrogates(data.decode("utf-8", "replace"))
            notes = [error("JSON-SURROGATE", f"{d.message}: not valid Unicode text", path=_pointer(d.path or ""))
                     for d in scrubbed]
        if isinstance(obj, dict) and isinstance(obj.get("resourceType"), str):
            return notes + _validate_fhir(obj, data, fhir_version)
    return _validate_record(data, path, skip_unknown)


def _pointer(dotted: str) -> str:
    """``entry[3].resource.title`` -> ``/entry/3/resource/title``."""
    import re

    return "/" + re.sub(r"\[(\d+)\]", r".\1", dotted).replace(".", "/") if dotted else ""


def _validate_fhir(obj: dict, data: bytes, fhir_version: str | None) -> list[Diagnostic]:
    from trialexport.formats.fhir.validation import detect_fhir_version, validate_fhir, validate_fhir_models

    version = fhir_version or detect_fhir_version(obj)
    if version is None:  # nothing version-specific: valid if either version accepts it, else judged as R5
        version = "r4" if not validate_fhir(obj, "r4") and validate_fhir(obj, "r5") else "r5"
    found = validate_fhir(obj, version)
    seen = {f.path for f in found}
    found += [d for d in validate_fhir_models(obj, version) if d.path not in seen]
    if found:
        from .lines import line_index, locate

        index = line_index(data.decode("utf-8", "replace"))
        found = [_at(d, *locate(index, d.path or "")) for d in found]
    return found


def _at(d: Diagnostic, line: int | None, col: int | None) -> Diagnostic:
    return Diagnostic(d.severity, d.code, d.message, d.file, d.record, d.path, d.line or line, d.col or col)


def _validate_xml(data: bytes, path: str, skip_unknown: bool) -> list[Diagnostic]:
    from .xmlsafe import parse_xml

    try:
        tree = parse_xml(data, source=path)
    except TrialExportError as exc:
        return [exc.diagnostic]
    root = tree.getroot()
    if not isinstance(root.tag, str) or root.tag.rpartition("}")[2] != "ODM":
        return [] if skip_unknown else [error("UNKNOWN-KIND", f"XML root <{root.tag}> is not ODM: unknown file kind")]
    from trialexport.formats.odm.validation import validate_odm_parsed

    return validate_odm_parsed(tree, source=path)


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
