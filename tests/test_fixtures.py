"""The interoperability fixture set: current, sensitive to mapping changes, and validated."""

from __future__ import annotations

import csv
import json
import os
import shutil

from conftest import ROOT, cli, cli_process

FIX = ROOT / "fixtures"


def _run(*args: str, env: dict[str, str] | None = None):
    """A fresh process when the mappings folder changes (tables are cached per process), else in-process."""
    return cli_process(*args, env=env, cwd=ROOT, timeout=600) if env else cli(*args, cwd=ROOT)


def test_fixtures_are_current():
    proc = _run("fixtures", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_changing_one_mapping_row_makes_the_check_fail(tmp_path):
    mappings = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", mappings)
    phase = mappings / "crosswalks" / "phase.csv"
    phase.write_text(phase.read_text().replace("PHASE1,phase-1,phase-1,", "PHASE1,phase-1,phase-1-changed,"))
    env = {"TRIALEXPORT_MAPPINGS": str(mappings)}
    proc = _run("fixtures", "--check", env=env)
    assert proc.returncode == 1
    assert "differs: seed-page/NCT04318600.fhir-r4.json" in proc.stdout
    assert "seed-page/NCT04318600.fhir-r5.json" not in proc.stdout  # only the changed R4 cell matters


def test_every_case_has_every_format_and_is_documented():
    with (FIX / "cases.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 13
    for row in rows:
        assert (FIX / row["input"]).exists() and row["exercises"]
        produced = sorted(p.name.split(".", 1)[1] for p in (FIX / "expected" / row["case"]).iterdir())
        formats = ["fhir-r4.json", "fhir-r5.json", "model.json", "odm-1.3.2.xml", "odm-2.0.xml", "sdtm"]
        assert produced == formats, row["case"]  # sdtm: a folder of Dataset-JSON files
        assert row["case"] in (FIX / "README.md").read_text(encoding="utf-8")


def test_positive_fixtures_all_validate():
    proc = _run("validate", "fixtures/expected", "fixtures/inputs", "--format", "json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 0, [r for r in report["results"] if not r["valid"]][:3]
    files = [p for p in (FIX / "expected").rglob("*.*") if p.is_file()]  # not the <id>.sdtm folders
    assert report["files"] == len(files) + len(list((FIX / "inputs").iterdir()))


def _expected_findings() -> dict[str, list[tuple[str, str, str, str]]]:
    out: dict[str, list[tuple[str, str, str, str]]] = {}
    with (FIX / "negative" / "expected-findings.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            out.setdefault(row["file"], []).append((row["line"], row["code"], row["path"], row["message"]))
    return out


def test_validate_fixtures_reports_exactly_the_expected_findings():
    proc = _run("validate", "fixtures/", "--format", "json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    expected = _expected_findings()
    got: dict[str, list[tuple[str, str, str, str]]] = {}
    for result in report["results"]:
        rel = os.path.relpath(result["file"], "fixtures")
        if not rel.startswith("negative"):
            assert result["valid"], result
            continue
        got[rel.removeprefix("negative/")] = [
            (str(f.get("line", "")), f["code"], f.get("path", ""), f["message"]) for f in result["findings"]
        ]
    assert got == expected
