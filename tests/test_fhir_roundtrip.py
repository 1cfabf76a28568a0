"""Reading FHIR back: model -> FHIR R5 -> model and model -> FHIR R4 -> model give the same model for every field
the format carries (``mappings/fhir/not-carried.csv`` names the rest), for every corpus record and fixture input;
Bundles from elsewhere are read too, and any-to-any works (FHIR in, ODM out)."""

from __future__ import annotations

import json
import re

import orjson
import pytest
from conftest import ROOT, cli

from trialexport.formats.fhir import VERSIONS
from trialexport.formats.fhir.bundle import map_bundle
from trialexport.formats.fhir.mapping.tables import not_carried
from trialexport.readers.fhir_bundle import READER

# What reading back cannot restore, and why (the FHIR output holds the same facts):
UNORDERED = ("conditions.condition_mesh", "conditions.intervention_mesh", "interventions[].arm_group_labels")
# derived MeSH terms are split into codings of the named conditions / interventions and index-term extensions, so
# their registry order is not kept; an intervention's arm labels come back in the order of the arms.
NORMALISED = {"design.patient_registry": (False, None)}  # only a registry is a study-design code
# and an enrollment count without a type reads back as ESTIMATED (FHIR's recruitment.targetNumber)


def _leaves(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, f"{path}[{i}]")
    else:
        yield path, node


def comparable(trial, version: str) -> dict:
    """The trial's data as ``{path: value}`` without extras and not-carried fields; unordered lists as sets."""
    data = {k: v for k, v in trial.to_data().items() if k != "extras"}
    for path in UNORDERED:
        head, _, tail = path.partition("[].")
        items = [data] if not tail else []
        parent = data
        for key in head.split("."):
            parent = parent.get(key, {}) if isinstance(parent, dict) else {}
        if tail:
            for item in parent if isinstance(parent, list) else []:
                if tail in item:
                    item[tail] = sorted(map(str, item[tail]))
        elif isinstance(parent, list):
            items = sorted(parent, key=lambda m: json.dumps(m, sort_keys=True))
            node = data
            keys = head.split(".")
            for key in keys[:-1]:
                node = node[key]
            node[keys[-1]] = items
    design = data.get("design", {})
    if "enrollment_count" in design:
        design.setdefault("enrollment_type", "ESTIMATED")
    skip = not_carried(version)
    out = {}
    for path, value in _leaves(data):
        norm = re.sub(r"\[\d+\]", "[]", path)
        if any(norm == s or norm.startswith((s + ".", s + "[")) for s in skip):
            continue
        if norm in NORMALISED and value == NORMALISED[norm][0]:
            value = NORMALISED[norm][1]
        if value is not None:
            out[path] = value
    return out


def _inputs(all_trials):
    import trialexport

    trials = dict(all_trials)
    for path in sorted((ROOT / "fixtures" / "inputs").iterdir()):
        trials.setdefault(path.stem, trialexport.read_trial(path))
    return trials


@pytest.mark.parametrize("version", VERSIONS)
def test_round_trip_of_every_record(all_trials, version):
    trials = _inputs(all_trials)
    assert len(trials) >= 47
    differences = {}
    for name, trial in trials.items():
        bundle, _ = map_bundle(trial, version)
        back, diags = READER.read(orjson.loads(orjson.dumps(bundle)), None)
        assert back is not None, (name, [d.format_text() for d in diags])
        want, got = comparable(trial, version), comparable(back, version)
        diff = {k: (want.get(k), got.get(k)) for k in set(want) | set(got) if want.get(k) != got.get(k)}
        if diff:
            differences[name] = dict(sorted(diff.items())[:5])
    assert differences == {}


def test_transaction_bundle_reads_like_a_collection(all_trials):
    trial = all_trials["NCT05170204"]
    for version in VERSIONS:
        coll, _ = map_bundle(trial, version)
        tx, _ = map_bundle(trial, version, "transaction")
        assert READER.read(tx, None)[0] == READER.read(coll, None)[0]


def test_cli_reads_fhir_and_writes_odm(tmp_path):
    src = ROOT / "tests" / "data" / "ctgov-v2" / "NCT03064438.json"
    out = tmp_path / "fhir"
    assert cli("convert", src, "--to", "fhir-r4", "-o", out).returncode == 0
    bundle = out / "NCT03064438.fhir-r4.json"
    back = tmp_path / "back"
    ran = cli("convert", bundle, "--to", "model", "--to", "odm-2.0", "-o", back)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    model = json.loads((back / "NCT03064438.model.json").read_text(encoding="utf-8"))
    assert model["identification"]["nct_id"] == "NCT03064438"
    # statusModule of the record: resultsFirstPostDateStruct 2021-08-23 ACTUAL, resultsFirstSubmitDate 2021-08-17
    assert model["status"]["results_first_posted_date"] == {"date": "2021-08-23", "type": "ACTUAL"}
    assert model["status"]["results_first_submitted_date"] == "2021-08-17"
    assert model["has_results"] is True
    assert (back / "NCT03064438.odm-2.0.xml").exists()


def test_research_study_bundle_from_elsewhere():
    """A minimal R4 Bundle as other tools write it (MITRE's converter style): identifier system with a trailing
    slash, R4 status, conditions as text, a sponsor, a contained-free enrollment Group with one characteristic."""
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "ResearchStudy/x1", "resource": {
            "resourceType": "ResearchStudy", "id": "x1", "status": "active", "title": "A study",
            "identifier": [{"system": "http://clinicaltrials.gov/", "value": "NCT01234567"}],
            "condition": [{"text": "Asthma"}], "keyword": [{"text": "airways"}],
            "phase": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/research-study-phase",
                                  "code": "phase-2"}]},
            "sponsor": {"reference": "Organization/o1"},
            "enrollment": [{"reference": "Group/g1"}],
            "arm": [{"name": "Arm A", "description": "Drug A daily"}]}},
        {"fullUrl": "Organization/o1", "resource": {"resourceType": "Organization", "id": "o1", "name": "Acme"}},
        {"fullUrl": "Group/g1", "resource": {"resourceType": "Group", "id": "g1", "type": "person", "actual": False,
            "characteristic": [{"code": {"text": "Adults with asthma"}, "valueBoolean": True, "exclude": False}]}},
    ]}  # fmt: skip
    assert READER.claims(bundle)
    trial, diags = READER.read(bundle, None)
    assert trial is not None, diags
    assert trial.identification.nct_id == "NCT01234567"
    assert trial.identification.brief_title == "A study"
    assert trial.conditions.conditions == ["Asthma"] and trial.conditions.keywords == ["airways"]
    assert trial.sponsors.lead_sponsor.name == "Acme"
    assert [a.label for a in trial.arms] == ["Arm A"]
    assert [(c.kind, c.text) for c in trial.eligibility.criteria] == [("inclusion", "Adults with asthma")]
    assert trial.design.phases == ["PHASE2"]


def test_registry_values_found_in_the_output():
    """scripts/fhir_coverage.py: the module-mean share of populated registry values read back from the output is at
    least 95% for R5 and 90% for R4 on the corpus (issue 12's targets)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fhir_coverage", ROOT / "scripts" / "fhir_coverage.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.measure(ROOT / "tests" / "data" / "ctgov-v2")
    mean = {v: sum(f / p for f, p in mods.values()) / len(mods) for v, mods in result.items()}
    assert mean["r5"] >= 0.95 and mean["r4"] >= 0.90, mean
    assert result["r5"]["protocolSection.statusModule"][0] / result["r5"]["protocolSection.statusModule"][1] > 0.9
