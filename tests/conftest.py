"""Shared test helpers: the project's own copies of the corpus and the seed page, and the one way to run the CLI.

:func:`cli` runs ``trialexport`` in this process with click's ``CliRunner`` (fast, and an unexpected exception fails
the test with its traceback). :func:`cli_process` runs it in a real child process, only where a test needs one:
signals and kills, worker processes (``--jobs`` > 1), pre-commit, or an environment variable that changes data the
process caches (``TRIALEXPORT_MAPPINGS``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Files record when they were made (ODM CreationDateTime): the suite pins that time, as reproducible builds do.
os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
DATA = ROOT / "tests" / "data"
CORPUS = sorted((DATA / "ctgov-v2").glob("*.json"))
SEED_PAGE = ROOT / "fixtures" / "NCT04318600.txt"


@dataclass(frozen=True)
class Ran:
    """One CLI run: the exit status and what it printed (text, and stdout as bytes)."""

    returncode: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


def cli(*args: object, stdin: bytes | None = None, env: dict[str, str] | None = None, cwd: Path | None = None) -> Ran:
    """``trialexport ARGS`` in this process (one worker unless ``--jobs`` says otherwise)."""
    from click.testing import CliRunner

    from trialexport.cli import main

    sigterm = signal.getsignal(signal.SIGTERM)  # convert installs its own handler
    with contextlib.chdir(cwd) if cwd else contextlib.nullcontext():
        result = CliRunner().invoke(main, [str(a) for a in args], input=stdin, catch_exceptions=False,
                                    env={"TRIALEXPORT_JOBS": "1", **(env or {})})
    signal.signal(signal.SIGTERM, sigterm)
    return Ran(result.exit_code, result.stdout, result.stderr, result.stdout_bytes)


def cli_process(*args: object, stdin: bytes | None = None, env: dict[str, str] | None = None,
                cwd: Path | None = None, timeout: float = 300) -> Ran:
    """``trialexport ARGS`` in a child process (``env`` is added to this process's environment)."""
    proc = subprocess.run([sys.executable, "-m", "trialexport", *map(str, args)], capture_output=True, input=stdin,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=timeout, check=False)
    out, err = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    return Ran(proc.returncode, out, err, proc.stdout)


@pytest.fixture(scope="session")
def seed_trial():
    """The seed study page's Trial."""
    import trialexport

    return trialexport.read_trial(SEED_PAGE)


@pytest.fixture(scope="session")
def corpus_trials():
    """Every corpus record read once: {nct_id: ReadResult}."""
    from trialexport.readers import read_path

    out = {}
    for path in CORPUS:
        (res,) = list(read_path(path))
        out[path.stem] = res
    return out


@pytest.fixture(scope="session")
def all_trials(corpus_trials):
    """Every corpus trial and the seed study page's: {id or "seed-page": Trial}."""
    from trialexport.readers import read_path

    trials = {name: res.trial for name, res in corpus_trials.items()}
    (seed,) = list(read_path(SEED_PAGE))
    trials["seed-page"] = seed.trial
    return trials


@pytest.fixture(scope="session")
def refresh() -> ModuleType:
    """``scripts/refresh_schemas.py`` imported as a module."""
    spec = importlib.util.spec_from_file_location("refresh_schemas", ROOT / "scripts" / "refresh_schemas.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered while it executes
    spec.loader.exec_module(module)
    return module
