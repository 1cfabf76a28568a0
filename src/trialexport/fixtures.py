"""The interoperability fixture set: inputs, the expected output of every format, and negative cases.

``fixtures/cases.csv`` lists each case (name, input file, what it exercises). The expected
outputs live in ``fixtures/expected/<case>/<id>.<format>``. :func:`regenerate` rebuilds them
into any folder; :func:`check` regenerates into a temporary folder and compares byte for byte.
"""

from __future__ import annotations

import csv
import filecmp
import tempfile
from collections.abc import Callable
from pathlib import Path

from trialexport.formats.base import Options
from trialexport.formats.registry import NAMES

from .atomic import write_atomic
from .pipeline.resume import SETTINGS_MARKER

FORMATS = NAMES  # every format, the model included
#: When the expected files are made: their file creation time (ODM CreationDateTime), fixed so that they compare.
FIXTURES_EPOCH = 1_700_000_000


class FixtureError(Exception):
    """A fixture folder that cannot be checked as it is (a bad cases.csv, a missing input)."""


def cases(root: Path) -> list[dict[str, str]]:
    """Rows of ``cases.csv`` (``case``, ``input``, ``exercises``); :class:`FixtureError` if it is not usable."""
    with (root / "cases.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for n, row in enumerate(rows, 2):
        if not row.get("case") or not row.get("input"):
            raise FixtureError(f"cases.csv line {n}: expected the columns case,input,exercises with a case name and "
                               "an input file")
        if not (root / row["input"]).is_file():
            raise FixtureError(f"cases.csv line {n}: input {row['input']!r} not found in {root}")
    return rows


def regenerate(root: Path, into: Path) -> list[str]:
    """Write every case's expected outputs under ``into/<case>/``; return problems (failed records)."""
    from .pipeline import convert_paths

    problems = []
    options = Options(model_check=True, source_date_epoch=FIXTURES_EPOCH)
    for case in cases(root):
        out = into / case["case"]
        out.mkdir(parents=True, exist_ok=True)
        for outcome in convert_paths([str(root / case["input"])], list(FORMATS), str(out), options):
            if not outcome.ok:
                errors = [d.format_text() for d in outcome.diagnostics if d.is_error]
                problems.append(f"{case['case']}: {errors[0] if errors else 'failed'}")
    return problems


def check(root: Path) -> list[str]:
    """Differences between the committed expected outputs and a fresh regeneration (empty: current)."""
    if not (root / "expected").is_dir():
        cases(root)
        return [f"no expected outputs yet ({root / 'expected'} does not exist): run `trialexport fixtures --update` "
                "to create them, then review and commit them"]
    return _with_fresh(root, lambda fresh, expected: _compare(fresh, expected, ""))


def update(root: Path) -> list[str]:
    """Rewrite the expected outputs in place (atomically per file; stale files removed)."""
    return _with_fresh(root, _replace)


def _with_fresh(root: Path, then: Callable[[Path, Path], list[str]]) -> list[str]:
    """Regenerate into a temporary folder, then ``then(fresh, expected)`` unless regeneration failed."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        problems = regenerate(root, fresh)
        return problems or then(fresh, root / "expected")


def _compare(fresh: Path, committed: Path, rel: str) -> list[str]:
    cmp = filecmp.dircmp(fresh, committed, ignore=[SETTINGS_MARKER])
    out = [f"missing: {rel}{name}" for name in sorted(cmp.left_only)]
    out += [f"not produced any more: {rel}{name}" for name in sorted(cmp.right_only)]
    _match, mismatch, errors = filecmp.cmpfiles(fresh, committed, cmp.common_files, shallow=False)
    out += [f"differs: {rel}{name}" for name in sorted(mismatch + errors)]
    for sub in sorted(cmp.common_dirs):
        out += _compare(fresh / sub, committed / sub, f"{rel}{sub}/")
    return out


def _replace(fresh: Path, expected: Path) -> list[str]:
    for path in sorted(fresh.rglob("*")):
        if path.is_file() and path.name != SETTINGS_MARKER:
            target = expected / path.relative_to(fresh)
            if not target.exists() or target.read_bytes() != path.read_bytes():
                write_atomic(target, path.read_bytes())
    for path in sorted(expected.rglob("*"), reverse=True):
        if path.is_file() and not (fresh / path.relative_to(expected)).exists():
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return []
