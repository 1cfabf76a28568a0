"""Batch conversion: ordered, deterministic output whatever --jobs; atomic writes."""

from __future__ import annotations

import subprocess
import sys

from conftest import CORPUS


def _run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "trialexport", *args], capture_output=True, timeout=300, check=False)


def test_jobs_two_gives_the_same_bytes_in_the_same_order(tmp_path):
    inputs = [str(p) for p in CORPUS[:12]]
    one = _run("convert", *inputs, "--to", "model", "-o", "-", "--jobs", "1")
    two = _run("convert", *inputs, "--to", "model", "-o", "-", "--jobs", "2")
    assert one.returncode == two.returncode == 0, two.stderr
    assert one.stdout == two.stdout
    d1, d2 = tmp_path / "j1", tmp_path / "j2"
    _run("convert", *inputs, "--to", "model", "-o", str(d1), "--jobs", "1")
    _run("convert", *inputs, "--to", "model", "-o", str(d2), "--jobs", "2")
    names = sorted(p.name for p in d1.glob("*.model.json"))
    assert names == sorted(p.name for p in d2.glob("*.model.json")) and len(names) == 12
    for name in names:
        assert (d1 / name).read_bytes() == (d2 / name).read_bytes()


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    from trialexport.atomic import write_atomic

    target = tmp_path / "a" / "out.json"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_atomic_write_keeps_the_old_file_when_interrupted(tmp_path, monkeypatch):
    import os

    import pytest

    from trialexport import atomic

    target = tmp_path / "out.json"
    target.write_bytes(b"old")

    def boom(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
