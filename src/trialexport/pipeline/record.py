"""One record through the formats: map, validate, account for coverage; the outcome of a record.

One bad record never stops the batch: each record's outcome carries its diagnostics, and only
outputs that passed validation are kept (see :mod:`.batch` for writing them).
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from trialexport.diagnostics import Diagnostic, error, warning
from trialexport.formats.base import Options, Output
from trialexport.formats.registry import NAMES as _FORMAT_NAMES
from trialexport.formats.registry import get as get_format
from trialexport.mapkit.tables import load_table
from trialexport.model import dumped_once
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
    updated: str | None = None  # the record's last update date (registry), to keep the newer of two copies

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

    def gaps(self) -> dict[str, list[str]]:
        """Per format, the populated fields not carried with no reason given (see :func:`is_gap`)."""
        return {t: c["gaps"] for t, c in self.coverage.items() if c.get("gaps")}


#: Separates a format name from a part number in the keys of a record's outputs (``fhir-r4#2``: part 2).
PART = "#"


def output_name(study_id: str, key: str, options: Options) -> str:
    """File name of one output: ``<id>.<target suffix>``, with unsafe characters replaced; part ``k`` of a split
    document (key ``<target>#<k>``) is ``<id>.<suffix stem>.part-<k>.<ext>`` (``NCT01.fhir-r4.part-2.json``), or the
    family's own name for it (``NCT01.sdtm/ta.json``)."""
    target, _, part = key.partition(PART)
    fmt = get_format(target)
    suffix = fmt.suffix(options)
    named = getattr(fmt.family, "part_suffix", None)  # a family whose parts are files with names of their own
    if part and named is not None:
        suffix = named(fmt.version, int(part))
    elif part:
        stem, _, ext = suffix.rpartition(".")
        suffix = f"{stem}.part-{part}.{ext}"
    return f"{_UNSAFE.sub('_', study_id).strip('._') or 'study'}.{suffix}"


#: The reasons :mod:`trialexport.mapkit.coverage` gives for a field that nothing carries and nothing explains.
NO_ROW = "no mapping row for this field"
NO_MODEL_FIELD = "no field in the trial model for this source field"
#: Registry record sections the trial model leaves out by design (it holds the protocol section and the derived MeSH
#: terms; README "The trial model"): their fields are not carried by design, not gaps.
@cache
def out_of_model_scope() -> tuple[str, ...]:
    """Source sections the model leaves out by design (``mappings/readers/out-of-model-scope.csv``)."""
    return tuple(row["prefix"] for row in load_table("readers", "out-of-model-scope.csv"))


def is_gap(path: str, reason: str) -> bool:
    """Whether a field not carried is a gap (no mapping row, or a source field in no model field, outside the
    sections the model leaves out by design) rather than left out by design (a reason in the not-carried tables)."""
    if reason == NO_ROW:
        return True
    return reason == NO_MODEL_FIELD and not path.startswith(out_of_model_scope())


def allowed(path: str, target: str, allow: tuple[str, ...]) -> bool:
    """Whether the allow-list accepts a gap: a pattern (``fnmatch``; ``*`` spans dots) matching the path, or
    ``<format>:<pattern>`` for one format only."""
    from fnmatch import fnmatchcase

    for pattern in allow:
        fmt, sep, rest = pattern.partition(":")
        if sep and fmt == target:
            pattern = rest
        elif sep and fmt in _FORMAT_NAMES:
            continue
        if fnmatchcase(path, pattern) or fnmatchcase(path, pattern + ".*") or fnmatchcase(path, pattern + "[[]*"):
            return True
    return False


def read_allow_list(path: str) -> tuple[str, ...]:
    """Patterns of an allow-list file: one per line, ``#`` comments and blank lines ignored."""
    with open(path, encoding="utf-8") as fh:
        return tuple(line.split("#", 1)[0].strip() for line in fh if line.split("#", 1)[0].strip())


#: Young-generation collection threshold while one record is converted (CPython's default is 700 allocations).
YOUNG_GC_THRESHOLD = 100_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect young objects every :data:`YOUNG_GC_THRESHOLD` allocations while a record is converted, then restore
    the thresholds. Mapping builds trees of short-lived objects; with the default threshold a study of thousands
    of sites triggers collections that re-traverse everything promoted so far, a cost growing faster than the
    study (issue 17: ms/site 6,400 vs 100 sites 1.5x -> 1.2x, benchmarks/registry_mix.py)."""
    old = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def convert_result(
    res: ReadResult,
    targets: Iterable[str],
    options: Options,
    *,
    strict: bool = False,
    keep_partial: bool = False,
    allow: tuple[str, ...] = (),
) -> tuple[RecordOutcome, dict[str, bytes]]:
    """Map one read record to every target; return its outcome and the outputs to store.

    A record is all or nothing: if one format fails, no format of it is stored (``keep_partial``: the valid ones
    are). ``strict``: a gap (:func:`is_gap`) not in the ``allow`` list fails the record.
    """
    outcome = RecordOutcome(res.file, res.record, res.trial.study_id if res.trial else None)
    outcome.diagnostics.extend(res.diagnostics)
    outputs: dict[str, bytes] = {}
    if res.trial is None:
        if not any(d.is_error for d in outcome.diagnostics):
            outcome.diagnostics.append(error("READ-FAILED", "record unreadable", file=res.file, record=res.record))
        return outcome, outputs
    outcome.updated = res.trial.status.last_update_submitted_date if res.trial.status else None
    by_target: dict[tuple[str, str, str | None, str], list[str]] = {}  # one line per finding, naming its targets
    failed: list[str] = []
    with dumped_once(res.trial):
        for target in targets:
            try:
                with _fewer_collections():
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
                cov = outcome.coverage[target] = out.coverage.to_dict()
                cov["gaps"] = gaps = sorted(p for p, why in out.coverage.not_carried.items() if is_gap(p, why)
                                            and not allowed(p, target, allow))
                if strict and gaps:
                    diags.append(
                        error(
                            "MAP-NOT-CARRIED",
                            f"--strict: {len(gaps)} populated field(s) not carried by {target} with no reason (a gap): "
                            + ", ".join(gaps[:5]) + (", ..." if len(gaps) > 5 else "")
                            + "; accept them with --allow-not-carried FILE",
                            file=res.file,
                            record=res.record,
                        )
                    )
            outcome.diagnostics.extend(diags)
            if out.ok and not any(d.is_error for d in diags):
                outputs[target] = out.data
                outputs.update((f"{target}{PART}{k}", part) for k, part in enumerate(out.parts, start=2))
            else:
                failed.append(target)
    if failed and outputs and not keep_partial:
        outcome.diagnostics.append(warning(
            "MAP-PARTIAL", f"no file written for this record: {', '.join(failed)} failed, and a record is all or "
            f"nothing ({', '.join(k for k in outputs if PART not in k)} not written either; --keep-partial writes "
            "the valid formats)",
            file=res.file, record=res.record))
        outputs = {}
    outcome.diagnostics = [
        replace(d, target=", ".join(by_target[(d.severity, d.code, d.path, d.message)]))
        if (d.severity, d.code, d.path, d.message) in by_target and d.target is None else d
        for d in outcome.diagnostics
    ]
    return outcome, outputs
