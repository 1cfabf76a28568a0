"""FHIR writer: every corpus record and the seed page give valid R5 and R4 Bundles; determinism; transactions."""

from __future__ import annotations

import orjson
import pytest
from conftest import CORPUS

from trialexport.formats.base import Options
from trialexport.formats.fhir import VERSIONS
from trialexport.formats.fhir.bundle import map_bundle
from trialexport.formats.fhir.validation import validate_fhir, validate_fhir_models
from trialexport.formats.registry import find

WRITERS = {v: find("fhir", v).write for v in VERSIONS}


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_every_record_gives_a_valid_bundle(all_trials, version):
    assert len(all_trials) == len(CORPUS) + 1
    failures = {}
    for name, trial in all_trials.items():
        out = WRITERS[version](trial, Options())
        assert out.coverage is not None
        errors = [d.format_text() for d in out.diagnostics if d.is_error]
        bundle = orjson.loads(out.data)
        errors += [d.format_text() for d in validate_fhir(bundle, version) + validate_fhir_models(bundle, version)
                   if d.is_error]  # fmt: skip
        if errors:
            failures[name] = errors[:3]
    assert failures == {}


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_same_input_same_bytes(all_trials, version):
    for trial in list(all_trials.values())[:10]:
        first = WRITERS[version](trial, Options()).data
        assert WRITERS[version](trial, Options()).data == first
        assert first.endswith(b"}\n")


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_transaction_bundle_puts_by_stable_id(all_trials, version):
    trial = all_trials["NCT05170204"]
    out = WRITERS[version](trial, Options(bundle_type="transaction"))
    assert out.ok, [d.format_text() for d in out.diagnostics]
    bundle = orjson.loads(out.data)
    assert bundle["type"] == "transaction"
    urls = []
    for entry in bundle["entry"]:
        res = entry["resource"]
        assert entry["request"] == {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"}
        urls.append(entry["request"]["url"])
    assert len(urls) == len(set(urls))
    assert urls[0] == "ResearchStudy/nct05170204"
    again = orjson.loads(WRITERS[version](trial, Options(bundle_type="transaction")).data)
    assert [e["request"]["url"] for e in again["entry"]] == urls
    collection = orjson.loads(WRITERS[version](trial, Options()).data)
    assert [e["fullUrl"] for e in collection["entry"]] == [e["fullUrl"] for e in bundle["entry"]]
    assert all("request" not in e for e in collection["entry"])


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_unknown_phase_is_text_and_warned(seed_trial, version):
    trial = seed_trial.model_copy(deep=True)
    trial.design.phases = ["PHASE5"]
    out = WRITERS[version](trial, Options())
    assert out.ok, [d.format_text() for d in out.diagnostics if d.is_error]
    warned = [d for d in out.diagnostics if d.code == "MAP-UNKNOWN-CODE"]
    assert [(d.severity, d.path) for d in warned] == [("warning", "design.phases")]
    study = orjson.loads(out.data)["entry"][0]["resource"]
    assert study["phase"] == {"text": "PHASE5"}


def test_build_bundle_and_to_fhir(seed_trial):
    import trialexport

    bundle = trialexport.to_fhir(seed_trial, "r4", bundle_type="transaction")
    assert bundle["type"] == "transaction"
    assert trialexport.to_fhir(seed_trial, "r5")["entry"][0]["resource"]["id"] == "nct04318600"


def test_invalid_bundle_raises(seed_trial, monkeypatch):
    import trialexport
    from trialexport.diagnostics import TrialExportError
    from trialexport.formats.fhir import bundle as fhir

    def broken(trial, version, bundle_type="collection"):
        bundle, diags = map_bundle(trial, version, bundle_type)
        bundle["entry"][0]["resource"]["bogus"] = True
        return bundle, diags

    monkeypatch.setattr(fhir, "map_bundle", broken)
    with pytest.raises(TrialExportError) as info:
        trialexport.to_fhir(seed_trial, "r5")
    assert info.value.diagnostic.code == "FHIR-SCHEMA"
    assert not WRITERS["r5"](seed_trial, Options()).ok


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_fullurls_are_uuid5_of_the_study_url(seed_trial, version):
    """Study resources: uuid5 of the study URL; resources shared across studies: of the project's base URL."""
    import uuid

    bundle, _ = map_bundle(seed_trial, version)
    shared = {"Organization", "Location", "Practitioner"}
    for entry in bundle["entry"]:
        res = entry["resource"]
        if res["resourceType"] in shared:
            name = f"https://trialexport.org/fhir/{res['resourceType']}/{res['id']}"
        else:
            name = f"https://clinicaltrials.gov/study/NCT04318600/{res['resourceType']}/{res['id']}"
        assert entry["fullUrl"] == f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_empty_strings_are_not_emitted(seed_trial, version):
    trial = seed_trial.model_copy(deep=True)
    trial.description.brief_summary = ""
    trial.arms[0].description = ""
    trial.conditions.keywords = ["", "lupus"]
    out = WRITERS[version](trial, Options())
    assert out.ok, [d.format_text() for d in out.diagnostics if d.is_error]
    assert b'""' not in out.data
