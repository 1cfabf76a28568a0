"""The conversion pipeline behind ``trialexport convert``: read, map, validate, write atomically.

One bad record never stops the batch: each record's outcome carries its diagnostics,
and only outputs that passed validation are written (to a temporary name, then renamed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, error
from .readers import ReadResult, read_path
from .targets import Options, Output, suffix, writer

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

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "record": self.record,
            "study_id": self.study_id,
            "ok": self.ok,
            "written": self.written,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "coverage": self.coverage,
        }


def output_name(study_id: str, target: str, options: Options) -> str:
    """File name of one output: ``<id>.<target suffix>``, with unsafe characters replaced."""
    return f"{_UNSAFE.sub('_', study_id).strip('._') or 'study'}.{suffix(target, options)}"


def convert_result(
    res: ReadResult,
    targets: Iterable[str],
    options: Options,
    emit: Callable[[str, str, bytes], str],
    *,
    strict: bool = False,
) -> RecordOutcome:
    """Map one read record to every target; ``emit(study_id, target, data)`` stores an output."""
    outcome = RecordOutcome(res.file, res.record, res.trial.study_id if res.trial else None)
    outcome.diagnostics.extend(res.diagnostics)
    if res.trial is None:
        if not any(d.is_error for d in outcome.diagnostics):
            outcome.diagnostics.append(error("READ-FAILED", "record unreadable", file=res.file, record=res.record))
        return outcome
    assert outcome.study_id is not None
    for target in targets:
        try:
            out: Output = writer(target)(res.trial, options)
        except Exception as exc:  # a bug in a writer must not stop the batch; say so clearly
            out = Output(b"", [error("MAP-CRASH", f"internal error while writing {target}: {exc!r}")])
        diags = [d.located(file=res.file, record=res.record) for d in out.diagnostics]
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
            outcome.written[target] = emit(outcome.study_id, target, out.data)
    return outcome


def convert_paths(
    inputs: Iterable[str],
    targets: list[str],
    out_dir: str | None,
    options: Options,
    *,
    fmt: str | None = None,
    strict: bool = False,
    stdout: Any = None,
) -> Iterator[RecordOutcome]:
    """Convert every record of every input; yield one outcome per record, in input order.

    ``out_dir`` of ``None`` or ``"-"`` writes to ``stdout`` (a binary stream). A study id seen
    twice in one batch is converted once: the first occurrence wins, later ones are errors.
    """
    from .atomic import write_atomic

    seen: dict[str, str] = {}

    def emit(study_id: str, target: str, data: bytes) -> str:
        if out_dir in (None, "-"):
            stdout.write(data)
            stdout.flush()
            return "-"
        path = Path(out_dir) / output_name(study_id, target, options)
        write_atomic(path, data)
        return str(path)

    for path in inputs:
        for res in read_path(path, fmt):
            sid = res.trial.study_id if res.trial else None
            if sid is not None and sid in seen:
                outcome = RecordOutcome(res.file, res.record, sid, diagnostics=list(res.diagnostics))
                outcome.diagnostics.append(
                    error("READ-DUPLICATE", f"duplicate study id {sid}: already converted from {seen[sid]}; "
                          "first occurrence wins", file=res.file, record=res.record)
                )
                yield outcome
                continue
            if sid is not None:
                seen[sid] = f"{res.file} {res.record}".strip()
            yield convert_result(res, targets, options, emit, strict=strict)
