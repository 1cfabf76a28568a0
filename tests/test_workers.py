"""Issue 14 item 20: ``convert --jobs N`` workers never outlive their parent, and a dead worker never hangs a run."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CORPUS

N = 400


def _input(tmp_path: Path) -> Path:
    base = json.loads(min(CORPUS, key=lambda p: p.stat().st_size).read_bytes())
    lines = []
    for i in range(N):
        base["protocolSection"]["identificationModule"]["nctId"] = f"NCT7{i:07d}"
        lines.append(json.dumps(base))
    path = tmp_path / "bulk.ndjson"
    path.write_text("\n".join(lines) + "\n")
    return path


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return False
    return state != b"Z"


def _start(tmp_path: Path, **env: str) -> tuple[subprocess.Popen[bytes], Path]:
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "trialexport", "convert", str(_input(tmp_path)), "--to", "odm-1.3.2", "--to",
           "fhir-r5", "-o", str(out), "-q", "--jobs", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, **env})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not out.exists() or len(list(out.glob("NCT*"))) < 20):
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before the test could act; make the input bigger"
    return proc, out


def test_workers_die_with_their_parent(tmp_path):
    """Even a worker that cannot notice anything (stopped here, as a deadlocked one would be: the case that once left
    a worker alive for 35 minutes) ends with its parent."""
    proc, _ = _start(tmp_path)
    workers = _children(proc.pid)
    assert len(workers) >= 2, workers
    os.kill(min(workers), signal.SIGSTOP)
    os.kill(proc.pid, signal.SIGKILL)  # only the parent, as a CI time-out or the OOM killer would
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(w) for w in workers):
        time.sleep(0.05)
    alive = [w for w in workers if _running(w)]
    for w in alive:  # do not leave them behind even if the test fails
        os.kill(w, signal.SIGKILL)
    assert alive == [], "workers outlived their parent"


def test_a_dead_worker_fails_its_record_and_the_run_finishes(tmp_path):
    proc, out = _start(tmp_path)
    victim = min(_children(proc.pid))
    os.kill(victim, signal.SIGKILL)
    _, err = proc.communicate(timeout=240)
    text = err.decode()
    assert "Traceback" not in text
    assert proc.returncode == 1, text[-2000:]
    crashed = [line for line in text.splitlines() if "MAP-ABORTED" in line]
    assert len(crashed) == 1 and "worker process died" in crashed[0], text[-2000:]
    assert "bulk.ndjson" in crashed[0] and "record line" in crashed[0]
    # every other record was converted (both formats), none twice
    ids = {p.name.split(".")[0] for p in out.glob("NCT*.odm-1.3.2.xml")}
    assert len(ids) == N - 1
    assert not list(out.glob(".*.part"))  # what the dead worker's neighbours had staged was committed, not left
    assert not _children(proc.pid)


def test_a_stuck_worker_does_not_hang_the_run(tmp_path):
    """A worker that stops answering (stopped here, as a deadlocked one) fails its record after the time-out; the
    run finishes instead of waiting forever."""
    proc, out = _start(tmp_path, TRIALEXPORT_WORKER_TIMEOUT="3")
    stuck = min(_children(proc.pid))
    os.kill(stuck, signal.SIGSTOP)
    try:
        _, err = proc.communicate(timeout=240)
    finally:
        if _running(stuck):
            os.kill(stuck, signal.SIGKILL)
    text = err.decode()
    assert proc.returncode == 1, text[-2000:]
    crashed = [line for line in text.splitlines() if "error MAP-ABORTED" in line]
    assert len(crashed) == 1 and "took longer than 3 s; its worker was stopped" in crashed[0], text[-2000:]
    assert len({p.name.split(".")[0] for p in out.glob("NCT*.odm-1.3.2.xml")}) == N - 1
    assert not _running(stuck)


def test_a_bad_worker_time_limit_is_a_usage_error(tmp_path: Path, monkeypatch) -> None:
    """TRIALEXPORT_WORKER_TIMEOUT that is not a number of seconds > 0: one line naming it, exit 2 (was a traceback);
    from the API, a ValueError naming it."""
    from conftest import cli

    from trialexport.pipeline.workers import Workers

    for wrong in ("soon", "0", "-1", "nan"):
        ran = cli("convert", CORPUS[0], "--to", "fhir-r5", "-o", tmp_path, "--jobs", "2",
                  env={"TRIALEXPORT_WORKER_TIMEOUT": wrong})
        assert ran.returncode == 2 and "Traceback" not in ran.stderr, wrong
        assert f"TRIALEXPORT_WORKER_TIMEOUT={wrong!r}: expected a number of seconds greater than 0" in ran.stderr
    one = cli("convert", CORPUS[0], "--to", "fhir-r5", "-o", tmp_path, "--jobs", "1",
              env={"TRIALEXPORT_WORKER_TIMEOUT": "soon"})
    assert one.returncode == 0  # no worker process, no limit to read
    monkeypatch.setenv("TRIALEXPORT_WORKER_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="TRIALEXPORT_WORKER_TIMEOUT='soon'"):
        Workers(2)
    monkeypatch.setenv("TRIALEXPORT_WORKER_TIMEOUT", "2.5")
    assert Workers(2).timeout == 2.5
