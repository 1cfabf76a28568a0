"""Readers: bring records from any supported input into the trial model.

``read_path(path)`` detects the input kind by content (``fmt`` forces one) and yields
one :class:`ReadResult` per record: the Trial (or ``None``) and its diagnostics. Bad
records never stop the batch. Supported kinds:

- ``ctgov``: ClinicalTrials.gov API v2 JSON: one study, a ``{"studies": [...]}`` page,
  a JSON array of studies, NDJSON (one study per line), or a zip of study JSON files
  (the registry's bulk download). Pages, NDJSON and zips are streamed record by record.
- ``page``: the registry study-page text format (see ``fixtures/NCT04318600.txt``).
- ``model``: a trial definition written in the model's own shape, YAML or JSON.

The list of kinds and how each is recognised is :mod:`.registry`; :mod:`.containers` splits inputs into records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trialexport.diagnostics import Diagnostic, error

if TYPE_CHECKING:
    from trialexport.model import Trial


_NCT_ID = re.compile(r"NCT[0-9]{8}")  # the registry's pattern (ClinicalTrials.gov API v2: ^NCT\d{8}$)


@dataclass(slots=True)
class ReadResult:
    """One record read from an input: the trial (None when unusable) and what was noticed."""

    file: str
    record: str
    trial: Trial | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    source_format: str = ""

    @property
    def ok(self) -> bool:
        return self.trial is not None and not any(d.is_error for d in self.diagnostics)


def read_path(path: str | Path, fmt: str | None = None, *, name: str | None = None) -> Iterator[ReadResult]:
    """Read every record of a file (``"-"`` is stdin). Never raises for bad input."""
    from .containers import iter_raw

    display = name or str(path)
    for raw in iter_raw(path, fmt, display):
        yield result_from_raw(raw, display)


def read_bytes(data: bytes, fmt: str | None = None, *, name: str = "<bytes>") -> Iterator[ReadResult]:
    """Read every record of an in-memory input."""
    from .containers import iter_raw_bytes

    for raw in iter_raw_bytes(data, fmt, name):
        yield result_from_raw(raw, name)


def read_trial(path: str | Path, fmt: str | None = None) -> Trial:
    """Read exactly one trial; raise :class:`~trialexport.diagnostics.TrialExportError` if that fails."""
    from trialexport.diagnostics import TrialExportError

    results = list(read_path(path, fmt))
    if len(results) != 1:
        raise TrialExportError(error("READ-COUNT", f"expected one record, found {len(results)}", file=str(path)))
    res = results[0]
    if res.trial is None:
        first = next((d for d in res.diagnostics if d.is_error), error("READ-FAILED", "record unreadable"))
        raise TrialExportError(first.located(file=str(path), record=res.record))
    return res.trial


def result_from_raw(raw: Any, display: str) -> ReadResult:
    """Turn a raw record (a decoded value or text with its kind, or a failure) into a ReadResult."""
    from . import registry
    from .containers import RawRecord
    from .decode import MAX_DEPTH, too_deep

    assert isinstance(raw, RawRecord)
    diags = list(raw.diagnostics)
    trial: Trial | None = None
    if raw.kind == "unknown":
        diags.append(error("READ-NOT-STUDY", f"JSON {type(raw.obj).__name__} is not a record trialexport reads: not a "
                           f"ClinicalTrials.gov study (no 'protocolSection') nor a trial definition; expected one "
                           f"of: {registry.described()}"))
    elif raw.kind != "error":
        reader = registry.get(raw.kind)
        deep = too_deep(raw.obj) if reader.shape == "json" else None
        if deep is not None:
            diags.append(error("READ-DEPTH", f"record nested more than {MAX_DEPTH} levels deep: refused", path=deep))
        else:
            trial, more = reader.read(raw.obj, raw.lines)
            diags.extend(more)
    record = raw.record
    if trial is not None and trial.study_id and trial.study_id not in record.split():
        record = f"{record} ({trial.study_id})" if record else trial.study_id
    if trial is not None and not trial.study_id:
        diags.append(error("READ-NO-ID", "record has no NCT id and no org study id", path="identification.nct_id"))
        trial = None
    nct = trial.identification.nct_id if trial is not None else None
    if nct is not None and not _NCT_ID.fullmatch(nct):
        diags.append(error("READ-NCT-ID", f"NCT id {nct!r} is not 'NCT' followed by 8 digits, the registry's "
                           "pattern: the record is not converted (the id names its files, FHIR ids and OIDs)",
                           path="identification.nct_id"))
        trial = None
    located = [d.located(file=display, record=record or None) for d in diags]
    return ReadResult(display, record, trial, located, raw.kind)
