"""Issue 14 items 10-12, 14-16, 18, 19, 21: what ``convert`` (and ``fixtures``) does with awkward situations, and
what it tells the user. Items 13 and 20 are in test_report_strict.py and test_workers.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import CORPUS, ROOT, SEED_PAGE, cli

import trialexport

GOOD, OTHER = CORPUS[0], CORPUS[1]


def _study(**changes: object) -> dict:
    study = json.loads(GOOD.read_bytes())
    for key, value in changes.items():
        module, field = key.split("__")
        study["protocolSection"][module][field] = value
    return study


def _write(path: Path, study: dict) -> Path:
    path.write_text(json.dumps(study))
    return path


def _errors(text: str) -> list[str]:
    return [line for line in text.splitlines() if " error " in line]


# --------------------------------------------------------------------------- item 10: one line, never a traceback


def test_impossible_output_or_report_folders_are_one_clear_line(tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for out in ("/proc/trialexport-out", str(a_file / "sub")):
        proc = cli("convert", str(GOOD), "--to", "model", "-o", out)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        (line,) = proc.stderr.splitlines()
        assert line.startswith(f"{out}: error IO-WRITE: cannot write to the output folder: ")
    report = cli("convert", str(GOOD), "--to", "model", "-o", str(tmp_path / "o"), "--report", "/proc/report.json")
    assert report.returncode == 1 and "Traceback" not in report.stderr
    assert report.stderr.startswith("/proc: error IO-WRITE: cannot write to the folder of --report: ")


def test_fixtures_check_before_expected_exists_says_what_to_do(tmp_path):
    (tmp_path / "cases.csv").write_text("case,input,exercises\nseed,seed.txt,the seed page\n")
    shutil.copy(SEED_PAGE, tmp_path / "seed.txt")
    proc = cli("fixtures", "--dir", tmp_path, "--check")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "no expected outputs yet" in proc.stdout and "trialexport fixtures --update" in proc.stdout
    assert cli("fixtures", "--dir", tmp_path, "--update").returncode == 0
    assert cli("fixtures", "--dir", tmp_path, "--check").returncode == 0
    (tmp_path / "cases.csv").write_text("case,input,exercises\nseed,missing.txt,x\n")
    bad = cli("fixtures", "--dir", tmp_path, "--check")
    assert bad.returncode == 1 and "input 'missing.txt' not found" in bad.stderr
    none = cli("fixtures", "--dir", tmp_path / "nope", "--check")
    assert none.returncode == 2 and "no fixture folder" in none.stderr
    assert cli("fixtures", "--dir", tmp_path / "nope", "--check", "--if-present").returncode == 0


# --------------------------------------------------------------------------- item 11: several records on stdout


def test_several_json_records_on_stdout_are_ndjson_that_validate_reads_back(tmp_path):
    one = cli("convert", str(GOOD), "--to", "fhir-r5", "-o", "-")
    assert one.returncode == 0 and one.stdout_bytes.startswith(b"{\n")  # one record: the document as it is
    two = cli("convert", str(GOOD), str(OTHER), "--to", "fhir-r5", "-o", "-")
    assert two.returncode == 0
    lines = two.stdout_bytes.splitlines()
    assert len(lines) == 2 and two.stdout_bytes.endswith(b"\n")
    assert [json.loads(line)["resourceType"] for line in lines] == ["Bundle", "Bundle"]
    back = cli("validate", "-", stdin=two.stdout_bytes)
    assert back.returncode == 0 and "NDJSON, 2 document(s): FHIR R5 Bundle" in back.stdout, back.stdout
    broken = lines[0] + b"\n" + lines[1].replace(b'"type":"collection"', b'"type":"pile"') + b"\n"
    bad = cli("validate", "-", stdin=broken)
    assert bad.returncode == 1 and "record line 2" in bad.stdout and "-:2: record line 2" in bad.stdout


def test_several_xml_documents_cannot_share_stdout(tmp_path):
    proc = cli("convert", str(GOOD), str(OTHER), "--to", "odm-1.3.2", "-o", "-")
    assert proc.returncode == 2 and proc.stdout_bytes == b""
    assert "several records cannot share stdout" in proc.stderr and "use -o DIR" in proc.stderr
    assert cli("convert", str(GOOD), "--to", "odm-1.3.2", "-o", "-").stdout_bytes.startswith(b"<?xml")


# --------------------------------------------------------------------------- item 12: a record is all or nothing


def test_a_record_whose_fhir_output_fails_has_no_file_written(tmp_path, monkeypatch):
    from trialexport.diagnostics import error
    from trialexport.formats.fhir import FhirFamily

    monkeypatch.setattr(FhirFamily, "validate", lambda *a, **k: [error("FHIR-SCHEMA", "broken on purpose")])
    out = tmp_path / "out"
    proc = cli("convert", str(GOOD), "--to", "fhir-r5", "--to", "odm-1.3.2", "-o", out)
    assert proc.returncode == 1
    assert not list(out.glob("NCT*"))
    assert "warning MAP-PARTIAL: no file written for this record: fhir-r5 failed" in proc.stderr
    kept = cli("convert", str(GOOD), "--to", "fhir-r5", "--to", "odm-1.3.2", "-o", out, "--keep-partial")
    assert kept.returncode == 1
    assert sorted(p.name for p in out.glob("NCT*")) == [f"{GOOD.stem}.odm-1.3.2.xml"]


# --------------------------------------------------------------------------- item 14: what happened, compactly


def test_summary_says_where_files_went_and_groups_repeated_warnings(tmp_path):
    inputs = [_write(tmp_path / f"s{i}.json", _study(statusModule__overallStatus="FINISHED_MAYBE",
                                                     identificationModule__nctId=f"NCT0000000{i}")) for i in range(3)]
    out = tmp_path / "out"
    proc = cli("convert", *inputs, "--to", "fhir", "-o", out)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert sum("warning MAP-UNKNOWN-CODE" in line for line in lines) == 1  # printed once, not once per record
    assert lines[lines.index("3 of 3 record(s) converted"):] [1:3] == [
        f"  files: fhir-r4 3, fhir-r5 3 -> {out}",
        "  warnings: 3 (MAP-UNKNOWN-CODE 3)",
    ]
    assert "  2 repeated warning(s) not printed again (-v prints every one)" in lines
    assert any(line.startswith("  fields not carried by design: ") for line in lines)
    every = cli("convert", *inputs, "--to", "fhir", "-o", out, "-v")
    assert sum("warning MAP-UNKNOWN-CODE" in line for line in every.stderr.splitlines()) == 3
    results = cli("convert", str(next(p for p in CORPUS if json.loads(p.read_bytes()).get("hasResults"))),
                  "--to", "odm-2.0", "-o", out)
    assert "whole source sections not carried (outside the trial model): resultsSection in 1 record(s)" \
        in results.stderr


# --------------------------------------------------------------------------- item 15: folders, names, conflicts


def test_convert_reads_folders_and_takes_format_aliases(tmp_path):
    src = tmp_path / "src"
    (src / "more").mkdir(parents=True)
    shutil.copy(GOOD, src / GOOD.name)
    shutil.copy(OTHER, src / "more" / OTHER.name)
    (src / "notes.csv").write_text("not an input")
    (src / ".hidden.json").write_text("{}")
    out = tmp_path / "out"
    proc = cli("convert", src, "--to", "FHIR,odm", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "2 of 2 record(s) converted" in proc.stderr
    assert len(list(out.glob("NCT*"))) == 2 * 4


def test_typos_and_conflicting_options_are_usage_errors_or_warnings(tmp_path):
    typo = cli("convert", str(GOOD), "--to", "fhir-r6", "-o", tmp_path)
    assert typo.returncode == 2 and "did you mean 'fhir-r5'" in typo.stderr
    assert cli("convert", str(GOOD), "-q", "-v", "-o", tmp_path).returncode == 2
    resume = cli("convert", str(GOOD), "--resume", "-o", "-")
    assert resume.returncode == 2 and "--resume needs an output folder" in resume.stderr
    yaml_fhir = cli("convert", str(GOOD), "--to", "fhir-r5", "--model-format", "yaml", "-o", tmp_path)
    assert yaml_fhir.returncode == 0 and "warning: --model-format yaml has no effect" in yaml_fhir.stderr
    odm_tx = cli("convert", str(GOOD), "--to", "odm", "--bundle", "transaction", "-o", tmp_path)
    assert odm_tx.returncode == 0 and "warning: --bundle transaction has no effect" in odm_tx.stderr


def test_a_missing_input_among_several_is_reported_and_the_others_converted(tmp_path):
    missing = tmp_path / "gone.json"
    out = tmp_path / "out"
    proc = cli("convert", str(GOOD), str(missing), str(OTHER), "--to", "model", "-o", out)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    (line,) = _errors(proc.stderr)
    assert line.startswith(f"{missing}: error READ-IO: cannot open: No such file or directory")
    assert sorted(p.name for p in out.glob("NCT*")) == sorted(f"{p.stem}.model.json" for p in (GOOD, OTHER))


# --------------------------------------------------------------------------- item 16: the newer copy wins


def test_a_later_but_older_copy_does_not_replace_the_newer_one(tmp_path):
    newer = _write(tmp_path / "newer.json", _study(statusModule__lastUpdateSubmitDate="2024-06-01"))
    older = _write(tmp_path / "older.json", _study(statusModule__lastUpdateSubmitDate="2020-01-01",
                                                   identificationModule__briefTitle="Stale copy"))
    out = tmp_path / "out"
    proc = cli("convert", newer, older, "--to", "model", "-o", out)
    assert proc.returncode == 1
    (line,) = _errors(proc.stderr)
    assert f"the copy from {newer}" in line and "this one is not newer (last update 2020-01-01; kept copy " \
        "2024-06-01)" in line
    model = json.loads((out / f"{GOOD.stem}.model.json").read_bytes())
    assert model["identification"]["brief_title"] != "Stale copy"
    again = cli("convert", older, newer, "--to", "model", "-o", tmp_path / "again")
    assert again.returncode == 0 and "warning READ-SUPERSEDED" in again.stderr
    model = json.loads((tmp_path / "again" / f"{GOOD.stem}.model.json").read_bytes())
    assert model["identification"]["brief_title"] != "Stale copy"


# --------------------------------------------------------------------------- items 18, 19: versions and hygiene


def test_version_lists_the_standards_and_starts_light():
    code = ("import sys; from click.testing import CliRunner; from trialexport.cli import main; "
            "print(CliRunner().invoke(main, ['--version']).output); "
            "print('heavy' if {'pydantic', 'lxml'} & set(sys.modules) else 'light')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith(f"trialexport {trialexport.__version__}\n")
    for needle in ("FHIR R5 5.0.0: schema from hl7.fhir.r5.core 5.0.0", "FHIR R4 4.0.1", "CDISC ODM 1.3.2",
                   "CDISC ODM 2.0", "CDISC CT"):
        assert needle in out
    assert out.rstrip().endswith("light")
    commands = cli("--help").stdout.split("Commands:")[1]
    assert "generate" not in commands and "Shell completion" in cli("--help").stdout


def test_licence_changelog_and_version_agree():
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["version"] == trialexport.__version__ and meta["license"] == {"text": "MIT"}
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert f"\n## {trialexport.__version__}\n" in (ROOT / "CHANGELOG.md").read_text()


# --------------------------------------------------------------------------- item 21: NCT ids


def test_an_nct_id_off_the_registry_pattern_is_an_error_for_that_record(tmp_path):
    text = json.dumps(_study()).replace(f'"nctId": "{GOOD.stem}"', '"nctId": "NCT0\\ud800"')
    assert "\\ud800" in text
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    short = _write(tmp_path / "short.json", _study(identificationModule__nctId="NCT123"))
    out = tmp_path / "out"
    proc = cli("convert", bad, short, str(OTHER), "--to", "model", "-o", out)
    assert proc.returncode == 1
    errors = _errors(proc.stderr)
    assert [e.split(" error ")[1].split(":")[0] for e in errors] == ["READ-NCT-ID", "READ-NCT-ID"]
    assert "NCT id 'NCT0\ufffd' is not 'NCT' followed by 8 digits" in errors[0]
    assert [p.name for p in out.glob("NCT*")] == [f"{OTHER.stem}.model.json"]  # no NCT0.* file
    org_only = cli("convert", ROOT / "fixtures" / "inputs" / "TX-EARLY-001.yaml", "--to", "model", "-o", out)
    assert org_only.returncode == 0  # an org study id without an NCT id stays allowed
