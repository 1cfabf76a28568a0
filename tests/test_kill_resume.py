"""A real bulk run killed part-way leaves only complete, valid files; --resume finishes the rest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CORPUS

from trialexport.validate_files import validate_file

N = 240
TARGETS = ("fhir-r5", "odm-1.3.2")
SUFFIXES = ("fhir-r5.json", "odm-1.3.2.xml")


def _input(tmp_path: Path) -> Path:
    base = json.loads(min(CORPUS, key=lambda p: p.stat().st_size).read_bytes())
    lines = []
    for i in range(N):
        base["protocolSection"]["identificationModule"]["nctId"] = f"NCT8{i:07d}"
        lines.append(json.dumps(base))
    path = tmp_path / "bulk.ndjson"
    path.write_text("\n".join(lines) + "\n")
    return path


def _cmd(src: Path, out: Path, *extra: str) -> list[str]:
    args = [sys.executable, "-m", "trialexport", "convert", str(src), "-o", str(out), "-q"]
    for t in TARGETS:
        args += ["--to", t]
    return args + list(extra)


def _interruptible() -> None:
    """In the child before exec: Ctrl-C acts, even when this test runs as a background job of a non-interactive
    shell (POSIX has those ignore SIGINT, and the tool rightly keeps an ignored SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _finals(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize(("sig", "jobs"), [(signal.SIGKILL, "1"), (signal.SIGKILL, "2"), (signal.SIGINT, "2"),
                                           (signal.SIGTERM, "1")], ids=["kill-j1", "kill-j2", "int-j2", "term-j1"])
def test_interrupted_run_leaves_complete_files_and_resume_finishes(tmp_path, sig, jobs):
    src = _input(tmp_path)
    out = tmp_path / "out"
    proc = subprocess.Popen(_cmd(src, out, "--jobs", jobs), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=_interruptible)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not out.exists() or len(_finals(out)) < 40):
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be interrupted; make the input bigger"
    if sig == signal.SIGKILL:
        os.killpg(proc.pid, sig)  # the whole job, workers included, as a crash or OOM kill would
    else:
        os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err.decode()[-2000:]
    if sig != signal.SIGKILL:
        assert proc.returncode == 128 + sig and b"interrupted" in err
    done = _finals(out)
    assert 0 < len(done) < N * len(TARGETS)
    for path in done:  # every file under its final name is complete and valid
        assert validate_file(str(path)).status == "valid", path.name
    if sig != signal.SIGKILL:
        assert not list(out.glob(".*.part")), "a clean interrupt removes its temporary file"

    resumed = subprocess.run(_cmd(src, out, "--jobs", jobs, "--resume", "--format", "json"), capture_output=True,
                             text=True, timeout=600, check=False)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    report = json.loads(resumed.stdout)
    skipped = sum(r["skipped"] for r in report["results"])
    complete_before = len({p.name.split(".")[0] for p in done if all(
        (out / f"{p.name.split('.')[0]}.{s}").exists() for s in SUFFIXES)})
    assert skipped >= complete_before - 1 and skipped > 0
    assert report["records"] == N
    finals = _finals(out)
    assert len(finals) == N * len(TARGETS)
    assert not list(out.glob(".*.part"))
    for path in finals[:: max(1, len(finals) // 40)]:
        assert validate_file(str(path)).status == "valid", path.name


def test_stale_parts_are_swept_in_per_study_folders_too(tmp_path):
    """A killed `--to sdtm` run can leave a temporary file inside `<id>.sdtm/`; the next run removes it once its
    writer is gone, and leaves a live writer's file alone."""
    from trialexport.pipeline.resume import remove_stale_parts

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead_pid = int(gone.stdout)
    folder = tmp_path / "NCT00000001.sdtm"
    folder.mkdir()
    stale = folder / f".ts.json.{dead_pid}.x1y2.part"
    live = folder / f".ta.json.{os.getppid()}.x1y2.part"
    top = tmp_path / f".NCT00000001.fhir-r5.json.{dead_pid}.z9.part"
    for p in (stale, live, top):
        p.write_bytes(b"{")
    assert remove_stale_parts(str(tmp_path)) == 2
    assert not stale.exists() and not top.exists() and live.exists()
