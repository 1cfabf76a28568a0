"""--report says, per record and format, what was mapped, what was not carried and why; --strict fails on loss."""

from __future__ import annotations

import json

from conftest import CORPUS, ROOT, SEED_PAGE, cli

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


GAP = next(p for p in CORPUS if b"dispFirstSubmitDate" in p.read_bytes())  # a protocol field the reader does not read
HAND_WRITTEN = ROOT / "fixtures" / "inputs" / "TX-EARLY-001.yaml"


def test_strict_fails_only_on_gaps_not_on_fields_left_out_by_design(tmp_path):
    """Issue 14 item 13: fields left out with a reason (results section, registry bookkeeping dates, ...) do not fail
    --strict; a populated source field with no model field and no reason (a gap) does, and the record is not written."""
    for ok in (RESULTS, HAND_WRITTEN, SEED_PAGE):
        proc = _run("convert", str(ok), "--to", "all", "-o", str(tmp_path / "ok"), "--strict")
        assert proc.returncode == 0, proc.stderr
    proc = _run("convert", str(GAP), "--to", "fhir-r5", "-o", str(tmp_path), "--strict")
    assert proc.returncode == 1
    (line,) = [line for line in proc.stderr.splitlines() if "error MAP-NOT-CARRIED" in line]
    assert "not carried by fhir-r5 with no reason (a gap)" in line
    assert "extras.protocolSection.statusModule.dispFirstSubmitDate" in line
    assert not list(tmp_path.glob("*.fhir-r5.json"))  # a failed record is not written
    model_only = _run("convert", str(GAP), "--to", "model", "-o", str(tmp_path), "--strict")
    assert model_only.returncode == 0  # the model carries everything


def test_report_separates_gaps_from_fields_left_out_by_design(tmp_path):
    report = tmp_path / "report.json"
    _run("convert", str(GAP), "--to", "odm-2.0", "-o", str(tmp_path), "--report", str(report))
    cov = json.loads(report.read_bytes())["records"][0]["coverage"]["odm-2.0"]
    assert cov["gaps"] == ["extras.protocolSection.statusModule.dispFirstPostDateStruct",
                           "extras.protocolSection.statusModule.dispFirstSubmitDate",
                           "extras.protocolSection.statusModule.dispFirstSubmitQcDate"]
    assert set(cov["gaps"]) <= set(cov["not_carried"])  # every field not carried still has its reason


def test_allow_list_file_accepts_named_gaps(tmp_path):
    allow = tmp_path / "allow.txt"
    allow.write_text("# delayed-posting fields we do not need\nextras.protocolSection.statusModule.dispFirst*\n")
    proc = _run("convert", str(GAP), "--to", "fhir-r5", "-o", str(tmp_path), "--strict", "--allow-not-carried",
                str(allow))
    assert proc.returncode == 0, proc.stderr
    one_format = tmp_path / "one.txt"
    one_format.write_text("odm-2.0:extras.protocolSection.statusModule.*\n")
    proc = _run("convert", str(GAP), "--to", "fhir-r5", "--to", "odm-2.0", "-o", str(tmp_path / "b"), "--strict",
                "--allow-not-carried", str(one_format))
    assert proc.returncode == 1 and "not carried by fhir-r5" in proc.stderr and "by odm-2.0" not in proc.stderr
    missing = _run("convert", str(GAP), "--to", "model", "-o", str(tmp_path), "--allow-not-carried",
                   str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr and "nope.txt" in missing.stderr
