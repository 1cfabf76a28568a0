"""--report says, per record and format, what was mapped, what was not carried and why; --strict fails on loss."""

from __future__ import annotations

import json

from conftest import CORPUS, SEED_PAGE, cli

RESULTS = next(p for p in CORPUS if json.loads(p.read_bytes()).get("hasResults"))


_run = cli


def test_report_lists_mapped_and_not_carried_fields_per_format(tmp_path):
    report = tmp_path / "report.json"
    proc = _run("convert", str(RESULTS), str(SEED_PAGE), "--to", "all", "-o", str(tmp_path / "o"),
                "--report", str(report))
    assert proc.returncode == 0, proc.stderr
    records = json.loads(report.read_bytes())["records"]
    assert [r["study_id"] for r in records] == [RESULTS.stem, "NCT04318600"]
    for rec in records:
        assert set(rec["coverage"]) == {"fhir-r5", "fhir-r4", "odm-1.3.2", "odm-2.0"}
        for cov in rec["coverage"].values():
            assert "identification.nct_id" in cov["mapped"]
            assert all(reason for reason in cov["not_carried"].values())
    results_rec = records[0]["coverage"]["fhir-r5"]["not_carried"]
    assert results_rec["extras.resultsSection"] == "no field in the trial model for this source field"
    seed = records[1]
    assert any(d["code"] == "READ-PAGE" for d in seed["diagnostics"])  # warnings are in the report too
    # what R4 does not carry but R5 does shows up per version
    r4, r5 = (set(seed["coverage"][v]["not_carried"]) for v in ("fhir-r4", "fhir-r5"))
    assert "eligibility.criteria_text" in r4 - r5


def test_strict_fails_a_record_with_fields_not_carried(tmp_path):
    proc = _run("convert", str(RESULTS), "--to", "fhir-r5", "-o", str(tmp_path), "--strict")
    assert proc.returncode == 1
    assert "MAP-NOT-CARRIED" in proc.stderr and "not carried by fhir-r5" in proc.stderr
    assert not list(tmp_path.glob("*.fhir-r5.json"))  # a failed record is not written
    model_only = _run("convert", str(RESULTS), "--to", "model", "-o", str(tmp_path), "--strict")
    assert model_only.returncode == 0  # the model carries everything
