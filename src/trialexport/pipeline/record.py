"""One record through the formats: map, validate, account for coverage; the outcome of a record.

One bad record never stops the batch: each record's outcome carries its diagnostics, and only
outputs that passed validation are kept (see :mod:`.batch` for writing them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from trialexport.diagnostics import Diagnostic, error
from trialexport.formats.base import Options, Output
from trialexport.formats.registry import get as get_format
from trialexport.readers import ReadResult

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(slots=True)
class RecordOutcome:
    """What happened to one input record."""

    file: str
    record: str
    study_id: str | None
    written: dict[str, str] = field(default_factory=dict)  # target -> path ("-" for stdout)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    coverage: dict[str, Any] = field(default_factory=dict)  # target -> Coverage dict
    skipped: bool = False  # --resume: outputs were already current

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "record": self.record,
            "study_id": self.study_id,
            "ok": self.ok,
            "skipped": self.skipped,
            "written": self.written,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "coverage": self.coverage,
        }


def output_name(study_id: str, target: str, options: Options) -> str:
    """File name of one output: ``<id>.<target suffix>``, with unsafe characters replaced."""
    return f"{_UNSAFE.sub('_', study_id).strip('._') or 'study'}.{get_format(target).suffix(options)}"


def convert_result(
    res: ReadResult,
    targets: Iterable[str],
    options: Options,
    *,
    strict: bool = False,
) -> tuple[RecordOutcome, dict[str, bytes]]:
    """Map one read record to every target; return its outcome and the valid outputs (not yet stored)."""
    outcome = RecordOutcome(res.file, res.record, res.trial.study_id if res.trial else None)
    outcome.diagnostics.extend(res.diagnostics)
    outputs: dict[str, bytes] = {}
    if res.trial is None:
        if not any(d.is_error for d in outcome.diagnostics):
            outcome.diagnostics.append(error("READ-FAILED", "record unreadable", file=res.file, record=res.record))
        return outcome, outputs
    by_target: dict[tuple[str, str, str | None, str], list[str]] = {}  # one line per finding, naming its targets
    for target in targets:
        try:
            out: Output = get_format(target).write(res.trial, options)
        except Exception as exc:  # a bug in a writer must not stop the batch; say so clearly
            out = Output(b"", [error("MAP-CRASH", f"internal error while writing {target}: {exc!r}")])
        diags = []
        for d in out.diagnostics:
            key = (d.severity, d.code, d.path, d.message)
            if key in by_target:
                by_target[key].append(target)
                continue
            by_target[key] = [target]
            diags.append(d.located(file=res.file, record=res.record))
        if out.coverage is not None:
            outcome.coverage[target] = out.coverage.to_dict()
            if strict and out.coverage.not_carried:
                diags.append(
                    error(
                        "MAP-NOT-CARRIED",
                        f"--strict: {len(out.coverage.not_carried)} populated field(s) not carried by {target}: "
                        + ", ".join(sorted(out.coverage.not_carried)[:5]),
                        file=res.file,
                        record=res.record,
                    )
                )
        outcome.diagnostics.extend(diags)
        if out.ok and not any(d.is_error for d in diags):
            outputs[target] = out.data
    outcome.diagnostics = [
        replace(d, target=", ".join(by_target[(d.severity, d.code, d.path, d.message)]))
        if (d.severity, d.code, d.path, d.message) in by_target and d.target is None else d
        for d in outcome.diagnostics
    ]
    return outcome, outputs
