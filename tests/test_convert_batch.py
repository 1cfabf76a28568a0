"""Batch conversion: ordered, deterministic output whatever --jobs; atomic writes."""

from __future__ import annotations

from conftest import CORPUS, cli_process

_run = cli_process  # --jobs 2 starts worker processes: a real process, not the test runner's


def test_jobs_two_gives_the_same_bytes_in_the_same_order(tmp_path):
    inputs = [str(p) for p in CORPUS[:12]]
    one = _run("convert", *inputs, "--to", "model", "-o", "-", "--jobs", "1")
    two = _run("convert", *inputs, "--to", "model", "-o", "-", "--jobs", "2")
    assert one.returncode == two.returncode == 0, two.stderr
    assert one.stdout_bytes == two.stdout_bytes
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


def test_workers_stage_and_the_main_process_commits_the_newer_copy(tmp_path):
    """A zip converted with workers: each member decoded in a worker, outputs staged there and committed by the main
    process in input order; a later member repeating a study id with a newer last update date replaces the first
    one's files (issue 14 item 16), and no temporary file is left."""
    import json
    import zipfile

    first = json.loads(CORPUS[0].read_bytes())
    again = json.loads(CORPUS[1].read_bytes())
    again["protocolSection"]["identificationModule"]["nctId"] = CORPUS[0].stem  # same id, other study
    src = tmp_path / "in.zip"
    with zipfile.ZipFile(src, "w") as zf:
        zf.writestr("a.json", json.dumps(first))
        for i, path in enumerate(CORPUS[2:6]):
            zf.writestr(f"b{i}.json", path.read_bytes())
        zf.writestr("z.json", json.dumps(again))
    out = {}
    for jobs in ("1", "2"):
        out[jobs] = tmp_path / f"j{jobs}"
        run = _run("convert", str(src), "--to", "all", "-o", str(out[jobs]), "--jobs", jobs)
        assert run.returncode == 0 and "READ-SUPERSEDED" in run.stderr, run.stderr
        assert f"this copy (last update {again['protocolSection']['statusModule']['lastUpdateSubmitDate']}) is newer" \
            in run.stderr
        assert not list(out[jobs].glob(".*.part"))
    names = sorted(p.name for p in out["1"].iterdir() if not p.name.startswith("."))
    assert len(names) == 5 * 4 and names == sorted(p.name for p in out["2"].iterdir() if not p.name.startswith("."))
    for name in names:
        assert (out["1"] / name).read_bytes() == (out["2"] / name).read_bytes()
    title = again["protocolSection"]["identificationModule"]["briefTitle"]
    assert title in json.loads((out["2"] / f"{CORPUS[0].stem}.fhir-r5.json").read_bytes())["entry"][0]["resource"][
        "title"]
