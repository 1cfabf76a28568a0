"""The conversion pipeline behind ``trialexport convert``: split inputs into records, convert them (in worker
processes with ``--jobs``), write outputs atomically in input order, resume interrupted runs.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialexport.diagnostics import Diagnostic, error, warning
from trialexport.formats.base import Options
from trialexport.formats.registry import get as get_format

from .record import RecordOutcome, convert_result, output_name
from .resume import mtime, remove_stale_parts, settings_marker, tool_stamp


@dataclass(slots=True, frozen=True)
class Plan:
    """What every unit of work shares (sent once per record to worker processes; small)."""

    targets: tuple[str, ...]
    options: Options
    strict: bool
    keep_partial: bool  # a record whose one format fails still has its valid formats written
    allow: tuple[str, ...]  # allow-list of fields not carried that --strict accepts
    resume_dir: str | None  # skip records whose outputs in this folder are current
    fresh_after: float  # outputs older than this (tool/mapping change) are not current
    out_dir: str | None  # outputs are staged here (temporary files) for the main process to commit; None: stdout
    owner: int  # pid of the main process, named in staged files (they are stale once it is gone)
    full_coverage: bool = True  # False: outcomes carry no list of mapped fields (only --report shows it)


# A converted record: its outcome and, per target, the output bytes (stdout) or (staged file, final path).
Converted = tuple[RecordOutcome, dict[str, Any]]


def _work(job: tuple[Any, str, float, Plan]) -> list[Converted]:
    """One unit of work (runs in a worker process with ``--jobs``): a raw record, or a still undecoded zip member /
    NDJSON line, -> one converted record per record it holds, outputs staged beside their final names."""
    from trialexport.readers.containers import expand

    raw, display, input_mtime, plan = job
    try:
        records = list(expand(raw))
    except Exception as exc:  # a reader bug must not stop the batch; say so clearly
        return [_crashed(raw, display, exc)]
    return [convert_one(rec, display, input_mtime, plan) for rec in records]


def _crashed(raw: Any, display: str, exc: Exception) -> Converted:
    outcome = RecordOutcome(display, getattr(raw, "record", ""), None)
    outcome.diagnostics.append(error("READ-CRASH", f"internal error while reading: {exc!r}", file=display,
                                     record=outcome.record or None))
    return outcome, {}


def convert_one(raw: Any, display: str, input_mtime: float, plan: Plan) -> Converted:
    """One raw record of ``display`` through :func:`.record.convert_result` under ``plan`` (staged outputs when
    writing files; used by local workers and by :mod:`.dask_run`)."""
    from trialexport.atomic import stage
    from trialexport.readers import result_from_raw

    try:
        res = result_from_raw(raw, display)
    except Exception as exc:  # a reader bug must not stop the batch; say so clearly
        return _crashed(raw, display, exc)
    if plan.resume_dir and res.trial is not None and res.trial.study_id:
        stamp = max(plan.fresh_after, input_mtime)
        paths = [Path(plan.resume_dir) / output_name(res.trial.study_id, t, plan.options) for t in plan.targets]
        if all(mtime(p) >= stamp for p in paths):
            outcome = RecordOutcome(res.file, res.record, res.trial.study_id, diagnostics=list(res.diagnostics))
            outcome.skipped = True
            outcome.written = {t: str(p) for t, p in zip(plan.targets, paths, strict=True)}
            return outcome, {}
    outcome, outputs = convert_result(res, plan.targets, plan.options, strict=plan.strict,
                                      keep_partial=plan.keep_partial, allow=plan.allow)
    if not plan.full_coverage:  # slimmer result to pickle back: the summary needs only what is not carried
        for cov in outcome.coverage.values():
            cov.pop("mapped", None)
    if plan.out_dir is None or not outputs:
        return outcome, outputs
    staged: dict[str, Any] = {}
    for target, data in outputs.items():
        path = Path(plan.out_dir) / output_name(outcome.study_id or "study", target, plan.options)
        try:
            staged[target] = (stage(path, data, owner=plan.owner), str(path))
        except OSError as exc:  # disk full, permissions, ...: this output fails, the batch goes on
            outcome.diagnostics.append(_write_error(outcome, target, path, exc))
    return outcome, staged


def _write_error(outcome: RecordOutcome, target: str, path: Path | str, exc: OSError) -> Diagnostic:
    return error("IO-WRITE", f"cannot write {path}: {exc.strerror or exc}", file=outcome.file,
                 record=outcome.record, target=target)


def _unless_died(results: Iterator[Any]) -> Iterator[list[Converted]]:
    """Worker results, with a failed outcome in place of a unit of work whose worker died (see :mod:`.workers`)."""
    from .workers import WorkerDied

    for result in results:
        if isinstance(result, WorkerDied):
            raw, display = result.item[0], result.item[1]
            outcome = RecordOutcome(display, getattr(raw, "record", ""), None)
            outcome.diagnostics.append(error("MAP-ABORTED", str(result), file=display, record=outcome.record or None))
            yield [(outcome, {})]
        else:
            yield result


def warm_up(targets: Iterable[str], options: Options) -> None:
    """Load every writer's tables, schemas and validators now, by converting a minimal trial once."""
    from trialexport.model import Trial

    trial = Trial.model_validate({"identification": {"nct_id": "NCT00000000"}})
    for target in targets:
        get_format(target).write(trial, options)


def _jobs_for(inputs: Iterable[str], fmt: str | None, plan: Plan) -> Iterator[tuple[Any, str, float, Plan]]:
    from trialexport.readers.containers import iter_raw

    for path in inputs:
        stamp = mtime(Path(path)) if path != "-" else float("inf")
        for raw in iter_raw(path, fmt, str(path), defer=True):
            yield raw, str(path), stamp, plan


def estimate_records(inputs: Iterable[str]) -> int | None:
    """How many records the inputs hold, for the progress ETA (``None`` when one cannot tell, e.g. stdin)."""
    from trialexport.readers.containers import count_records

    total = 0
    for path in inputs:
        n = count_records(path) if path != "-" else None
        if n is None:
            return None
        total += n
    return total


INPUT_SUFFIXES = (".json", ".ndjson", ".yaml", ".yml", ".txt", ".zip")  # files a folder given to convert yields


def expand_inputs(inputs: Iterable[str]) -> Iterator[str]:
    """Inputs as files: a folder yields its supported files (recursively, sorted, hidden ones skipped); anything
    else, a missing path included (it is reported as that input's error), as it is. Parts 2, 3, ... of a split FHIR
    Bundle whose part 1 is there are read with part 1 (:mod:`trialexport.readers.split_parts`), not on their own."""
    from trialexport.readers.split_parts import read_with_part_one

    for raw in inputs:
        if raw != "-" and os.path.isdir(raw):
            for root, dirs, files in os.walk(raw):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                yield from (path for n in sorted(files) if n.lower().endswith(INPUT_SUFFIXES) and not n.startswith(".")
                            and not read_with_part_one(Path(path := os.path.join(root, n))))
        elif raw == "-" or not read_with_part_one(Path(raw)):
            yield raw


def convert_paths(
    inputs: Iterable[str],
    targets: list[str],
    out_dir: str | None,
    options: Options,
    *,
    fmt: str | None = None,
    strict: bool = False,
    stdout: Any = None,
    jobs: int = 1,
    resume: bool = False,
    keep_partial: bool = False,
    allow: tuple[str, ...] = (),
    full_coverage: bool = True,
    pool: Any = None,
) -> Generator[RecordOutcome, None, None]:
    """Convert every record of every input; yield one outcome per record, in input order.

    With ``jobs > 1`` records are decoded, mapped, validated and staged (written under a
    temporary name) in worker processes; splitting the input, the duplicate check and
    committing (renaming staged files into place) stay in this process, in input order, so
    outputs are the same bytes whatever the number of jobs. ``out_dir`` of ``None`` or ``"-"`` writes to
    ``stdout`` (a binary stream; several JSON records become NDJSON, see :class:`.stdout.StdoutSink`). A study id
    seen twice in one batch is converted once: a later copy replaces an earlier one only if its last update date
    is newer (in a folder; on stdout the first copy stays), other copies are errors. A record is all or nothing
    unless ``keep_partial``. Folders in ``inputs`` are read recursively (:func:`expand_inputs`). With ``resume``, a
    record whose outputs all exist and are newer than its input and than the tool's code/tables is skipped (atomic
    writes guarantee an existing output is complete). ``full_coverage=False``: outcomes leave out the list of
    mapped fields (what a report shows; the summary needs only the fields not carried). ``pool``: workers other
    than local processes, with the interface of :class:`.workers.Workers` (``jobs`` is then ignored; e.g. a Dask
    cluster, :class:`.dask_run.DaskWorkers`); it must stage outputs in ``out_dir`` as local workers do.
    """
    from trialexport.atomic import commit, discard

    from .stdout import StdoutSink

    seen: dict[str, tuple[str, str | None]] = {}  # study id -> (where its kept copy came from, last update date)
    to_files = out_dir not in (None, "-")
    if to_files:
        remove_stale_parts(str(out_dir))
    fresh_after = max(tool_stamp(), settings_marker(str(out_dir), options)) if to_files else 0.0
    plan = Plan(tuple(targets), options, strict, keep_partial, tuple(allow),
                 str(out_dir) if resume and to_files else None, fresh_after, str(out_dir) if to_files else None,
                 os.getpid(), full_coverage)
    work: Iterator[Any] = _jobs_for(expand_inputs(inputs), fmt, plan)
    sink = None if to_files else StdoutSink(stdout, targets, options)
    if pool is not None:
        jobs = 1
    if jobs > 1:  # worth workers only if there are at least two records: peek (the input stays streamed)
        from itertools import chain, islice

        head = list(islice(work, 2))
        work = chain(head, work)
        jobs = jobs if len(head) > 1 else 1
    if jobs > 1:
        from .workers import Workers

        warm_up(targets, options)  # forked workers inherit the loaded schemas, tables and compiled validators
        pool = Workers(jobs)
        batches: Iterator[list[Converted]] = _unless_died(pool.imap(_work, work, 16 * jobs))
    elif pool is not None:
        batches = _unless_died(pool.imap(_work, work, 0))
    else:
        batches = map(_work, work)
    try:
        for outcome, outputs in (converted for batch in batches for converted in batch):
            sid = outcome.study_id
            here = f"{outcome.file} {outcome.record}".strip()
            if sid is not None and sid in seen:
                kept, kept_date = seen[sid]
                newer = bool(to_files and outputs and outcome.updated and kept_date and outcome.updated > kept_date)
                if not newer:
                    for item in outputs.values():
                        if isinstance(item, tuple):
                            discard(item[0])
                    outcome.written.clear()
                    outcome.coverage.clear()
                    dates = f" (last update {outcome.updated or 'unknown'}; kept copy {kept_date or 'unknown'})"
                    outcome.diagnostics.append(
                        error("READ-DUPLICATE", f"duplicate study id {sid}: the copy from {kept} is kept, this one is "
                              f"not newer{dates}", file=outcome.file, record=outcome.record)
                    )
                    yield outcome
                    continue
                outcome.diagnostics.append(warning(
                    "READ-SUPERSEDED", f"duplicate study id {sid}: this copy (last update {outcome.updated}) is newer "
                    f"than the one from {kept} ({kept_date}), whose files it replaces", file=outcome.file,
                    record=outcome.record))
            if sid is not None and (outputs or sid not in seen):
                seen[sid] = (here, outcome.updated)
            for target, item in outputs.items():
                if sink is not None:
                    sink.write(item)
                    outcome.written[target] = "-"
                    continue
                part, path = item
                try:
                    commit(part, path)
                except OSError as exc:  # the batch goes on
                    outcome.diagnostics.append(_write_error(outcome, target, path, exc))
                    continue
                outcome.written[target] = path
            yield outcome
        if sink is not None:
            sink.close()
        if pool is not None:
            pool.close()
        if to_files:  # a worker killed while staging leaves its temporary file: every record is now committed
            remove_stale_parts(str(out_dir))
    finally:
        if pool is not None:
            pool.close()
