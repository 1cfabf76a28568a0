"""The Python API mirrors the CLI: read, to_model, to_fhir, to_odm; errors are TrialExportError."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import SEED_PAGE

import trialexport


def test_api_round_trip_on_the_seed():
    (result,) = list(trialexport.read(SEED_PAGE))
    trial = result.trial
    assert isinstance(trial, trialexport.Trial) and trial.study_id == "NCT04318600"
    bundle = trialexport.to_fhir(trial, version="r4", bundle_type="transaction")
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
    assert all(e["request"]["method"] == "PUT" for e in bundle["entry"])
    odm = trialexport.to_odm(trial, version="2.0")
    assert odm.startswith(b"<?xml") and b'ODMVersion="2.0"' in odm
    assert trialexport.to_model(trial, "yaml").startswith(b"identification:")
    assert trialexport.read_trial(SEED_PAGE) == trial


def test_api_errors_are_trialexport_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(trialexport.TrialExportError) as info:
        trialexport.read_trial(bad)
    assert info.value.diagnostic.code == "READ-JSON"
    with pytest.raises(ValueError):
        trialexport.to_fhir(trialexport.read_trial(SEED_PAGE), version="r6")


def test_import_is_light():
    """`import trialexport` loads neither the schemas nor the FHIR/ODM machinery."""
    code = ("import sys, trialexport; heavy = [m for m in ('pydantic', 'lxml', 'fhir', 'jsonschema', 'click') "
            "if any(k == m or k.startswith(m + '.') for k in sys.modules)]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
