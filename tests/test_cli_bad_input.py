"""Bad input gives a one-line error naming the file and the problem, exit 1, and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, cli

GOOD = CORPUS[0]
run = cli


def _err(proc) -> str:
    return proc.stderr


CASES = {
    "malformed.json": (b'{"protocolSection": {"identificationModule": {"nctId": "NCT1"}', "malformed JSON"),
    "not-a-study.json": (b'{"hello": "world"}', "not a ClinicalTrials.gov study"),
    "empty.json": (b"", "empty file"),
    "binary.bin": (bytes(range(256)) * 4, "binary file"),
    "latin1.json": ('{"a": "caf\u00e9"}'.encode("latin-1"), "not UTF-8 text"),
    "wrong-type.yaml": (b"identification:\n  nct_id: NCT00000042\ndesign:\n  enrollment_count: lots\n",
                        "design.enrollment_count"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_clear_line_and_the_batch_goes_on(name, tmp_path):
    data, expected = CASES[name]
    bad = tmp_path / name
    bad.write_bytes(data)
    out = tmp_path / "out"
    proc = run("convert", str(bad), str(GOOD), "--to", "model", "-o", str(out))
    err = _err(proc)
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if " error " in line]
    assert len(lines) == 1, err
    assert str(bad) in lines[0] and expected in lines[0], lines[0]
    assert (out / f"{GOOD.stem}.model.json").exists()  # the good record of the batch still converted


def test_yaml_model_error_points_at_the_line(tmp_path):
    bad = tmp_path / "study.yaml"
    bad.write_bytes(CASES["wrong-type.yaml"][0])
    proc = run("convert", str(bad), "--to", "model", "-o", str(tmp_path))
    assert f"{bad}:4:" in _err(proc)


def test_ok_exit_zero_and_stdout(tmp_path):
    proc = run("convert", str(GOOD), "--to", "model", "-o", "-")
    assert proc.returncode == 0, _err(proc)
    assert json.loads(proc.stdout)["identification"]["nct_id"] == GOOD.stem


def test_stdin_dash():
    proc = run("convert", "-", "--to", "model", "--model-format", "yaml", stdin=GOOD.read_bytes())
    assert proc.returncode == 0, _err(proc)
    assert f"nct_id: {GOOD.stem}" in proc.stdout


def test_usage_error_exit_two(tmp_path):
    assert run("convert", str(tmp_path / "missing.json")).returncode == 2
    assert run("convert", str(GOOD), "--to", "nonsense").returncode == 2
    assert run("nonsense-command").returncode == 2


def test_json_report_format(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    proc = run("convert", str(bad), str(GOOD), "--to", "model", "-o", str(tmp_path / "o"), "--format", "json")
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["records"] == 2 and report["failed"] == 1
    assert report["results"][0]["diagnostics"][0]["code"] == "READ-JSON"


def test_help_teaches_with_examples():
    for args in (["--help"], ["convert", "--help"], ["validate", "--help"], ["fixtures", "--help"]):
        proc = run(*args)
        assert proc.returncode == 0
        assert "Example" in proc.stdout
    assert "generate" not in run("--help").stdout  # a developer command, not a user one


def test_developer_tools_are_a_module_of_their_own():

    proc = subprocess.run([sys.executable, "-m", "trialexport.devtools", "generate", "--help"], capture_output=True)
    assert proc.returncode == 0 and b"Example" in proc.stdout


def test_version():
    from trialexport import __version__

    assert run("--version").stdout.splitlines()[0] == f"trialexport {__version__}"


def test_duplicate_study_in_batch_first_wins_when_not_newer(tmp_path):
    proc = run("convert", str(GOOD), str(GOOD), "--to", "model", "-o", str(tmp_path))
    assert proc.returncode == 1
    assert "duplicate study id" in _err(proc) and "is kept, this one is not newer" in _err(proc)


def test_no_traceback_on_page_of_junk(tmp_path):
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"studies": [1, {"protocolSection": {}}, json.loads(GOOD.read_bytes())]}))
    proc = run("convert", str(page), "--to", "model", "-o", str(tmp_path / "o"))
    assert proc.returncode == 1 and "Traceback" not in _err(proc)
    assert len(list(Path(tmp_path / "o").glob("*.model.json"))) == 1


def test_legacy_xml_record_is_refused_clearly(tmp_path):
    from conftest import DATA

    legacy = sorted((DATA / "ctgov-xml").glob("*.xml"))[0]
    proc = run("convert", str(legacy), "--to", "model", "-o", str(tmp_path))
    err = _err(proc)
    assert proc.returncode == 1 and "Traceback" not in err
    assert f"{legacy}: error READ-FORMAT: XML input is not a supported record format" in err
