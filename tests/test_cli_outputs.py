"""Output handling: bad output paths are usage errors, --resume honours settings, write failures are reported."""

from __future__ import annotations

import json

from conftest import CORPUS, SEED_PAGE, cli

_run = cli


def test_bad_output_paths_are_usage_errors(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for args in (["-o", str(afile)], ["-o", str(tmp_path / "o"), "--report", str(tmp_path / "missing" / "r.json")],
                 ["--to", "all", "-o", "-"]):
        proc = _run("convert", str(SEED_PAGE), *args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert "Error:" in proc.stderr


def test_resume_redoes_outputs_made_with_other_settings(tmp_path):
    out = tmp_path / "o"
    assert _run("convert", str(SEED_PAGE), "--to", "fhir-r5", "-o", str(out)).returncode == 0
    again = _run("convert", str(SEED_PAGE), "--to", "fhir-r5", "-o", str(out), "--resume", "--format", "json")
    assert json.loads(again.stdout)["results"][0]["skipped"] is True
    other = _run("convert", str(SEED_PAGE), "--to", "fhir-r5", "-o", str(out), "--resume", "--bundle", "transaction",
                 "--format", "json")
    assert json.loads(other.stdout)["results"][0]["skipped"] is False
    bundle = json.loads((out / "NCT04318600.fhir-r5.json").read_bytes())
    assert bundle["type"] == "transaction"


def test_write_failure_is_a_record_error_and_the_batch_goes_on(tmp_path, monkeypatch):
    from trialexport import atomic, pipeline
    from trialexport.formats.base import Options

    real = atomic.stage

    def flaky(path, data, **kw):
        if "NCT04318600" in str(path):
            raise OSError(28, "No space left on device")
        return real(path, data, **kw)

    monkeypatch.setattr(atomic, "stage", flaky)
    outcomes = list(pipeline.convert_paths([str(SEED_PAGE), str(CORPUS[0])], ["model"], str(tmp_path), Options()))
    assert [o.ok for o in outcomes] == [False, True]
    (err,) = [d for d in outcomes[0].diagnostics if d.is_error]
    assert err.code == "IO-WRITE" and "No space left on device" in err.message
    assert (tmp_path / f"{CORPUS[0].stem}.model.json").exists()


def test_odm_geo_positions_are_plain_decimals():
    import trialexport
    from trialexport.formats.odm.validation import validate_odm

    trial = trialexport.read_trial(SEED_PAGE).model_copy(update={})
    data = trial.to_data()
    data["locations"] = [{"facility": "Equator site", "country": "Gabon", "geo_point": {"lat": 0.00001, "lon": -1e-07}}]
    trial = trialexport.Trial.model_validate(data)
    xml = trialexport.to_odm(trial, version="2.0")
    assert b'Latitude="0.00001"' in xml and b'Longitude="-0.0000001"' in xml
    assert validate_odm(xml) == []
