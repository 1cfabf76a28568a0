"""The ClinicalTrials.gov API v2 reader on every corpus record: nothing read is lost."""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS

from trialexport.mapkit.pathexpr import compile_path
from trialexport.mapkit.tables import load_table
from trialexport.readers import read_bytes, read_path
from trialexport.readers.ctgov import TABLE


def _leaves(node, norm="", path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, f"{norm}.{k}" if norm else k, f"{path}.{k}" if path else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, norm + "[]", f"{path}[{i}]")
    elif node not in (None, ""):
        yield norm, path, node


def _get(data, tokens, indices):
    it = iter(indices)
    node = data
    for key, is_list in tokens:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
        if is_list:
            i = next(it)
            if not isinstance(node, list) or i >= len(node):
                return None
            node = node[i]
    return node


def _indices(path):
    import re

    return tuple(int(i) for i in re.findall(r"\[(\d+)\]", path))


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_every_populated_source_field_is_in_model_or_extras(path, corpus_trials):
    res = corpus_trials[path.stem]
    assert res.ok, [d.format_text() for d in res.diagnostics]
    trial = res.trial
    assert trial.identification.nct_id == path.stem
    data = trial.model_dump(mode="json")
    rows = [(r["source"], r["model"]) for r in load_table("readers", f"{TABLE}.csv")]
    source = json.loads(path.read_bytes())
    missing = []
    for norm, concrete_path, _value in _leaves(source):
        if any(concrete_path == k or concrete_path.startswith(k + ".") or concrete_path.startswith(k + "[")
               for k in trial.extras):
            continue
        row = next((r for r in rows if norm == r[0] or norm.startswith(r[0] + ".")), None)
        if row is None:
            missing.append(concrete_path)
            continue
        n_lists = row[0].count("[]")
        got = _get(data, compile_path(row[1]), _indices(concrete_path)[:n_lists])
        if got in (None, "", []):
            missing.append(concrete_path)
    assert not missing, f"populated source fields neither in the model nor in extras: {missing[:10]}"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_yaml_round_trip_gives_equal_model(path, corpus_trials):
    from trialexport import to_model

    trial = corpus_trials[path.stem].trial
    for fmt in ("yaml", "json"):
        (back,) = list(read_bytes(to_model(trial, fmt), name=f"{path.stem}.{fmt}"))
        assert back.ok, [d.format_text() for d in back.diagnostics]
        assert back.source_format == "model"
        assert back.trial == trial


def test_values_of_a_rich_record(corpus_trials):
    trial = corpus_trials["NCT04523987"].trial if "NCT04523987" in corpus_trials else None
    assert trial is not None
    src = json.loads(next(p for p in CORPUS if p.stem == "NCT04523987").read_bytes())["protocolSection"]
    assert trial.status.overall_status == src["statusModule"]["overallStatus"]
    assert trial.design.phases == src["designModule"].get("phases", [])
    assert len(trial.locations) == len(src.get("contactsLocationsModule", {}).get("locations", []))
    assert len(trial.arms) == len(src["armsInterventionsModule"]["armGroups"])


def test_partial_dates_keep_their_precision():
    study = {"protocolSection": {"identificationModule": {"nctId": "NCT00000001"},
                                 "statusModule": {"startDateStruct": {"date": "2015-08", "type": "ESTIMATED"},
                                                  "completionDateStruct": {"date": "2019"}}}}
    (res,) = list(read_bytes(json.dumps(study).encode()))
    assert res.trial.status.start_date.date == "2015-08"
    assert res.trial.status.start_date.precision == "month"
    assert res.trial.status.completion_date.date == "2019"
    assert res.trial.status.completion_date.type is None


def test_impossible_date_is_kept_in_extras_with_a_warning():
    study = {"protocolSection": {"identificationModule": {"nctId": "NCT00000002"},
                                 "statusModule": {"startDateStruct": {"date": "2019-02-30", "type": "ACTUAL"}},
                                 "designModule": {"enrollmentInfo": {"count": -5, "type": "ACTUAL"}}}}
    (res,) = list(read_bytes(json.dumps(study).encode(), name="x.json"))
    assert res.trial is not None
    assert res.trial.status.start_date is None
    assert res.trial.extras["protocolSection.statusModule.startDateStruct"] == {"date": "2019-02-30", "type": "ACTUAL"}
    assert res.trial.design.enrollment_count is None
    assert res.trial.extras["protocolSection.designModule.enrollmentInfo.count"] == -5
    messages = [d.format_text() for d in res.diagnostics]
    assert any("impossible date '2019-02-30'" in m and "startDateStruct" in m for m in messages), messages
    assert any("greater than or equal to 0" in m and "enrollmentInfo.count" in m for m in messages), messages


def test_ages_in_odd_units():
    study = {"protocolSection": {"identificationModule": {"nctId": "NCT00000003"},
                                 "eligibilityModule": {"minimumAge": "6 Months", "maximumAge": "N/A"}}}
    (res,) = list(read_bytes(json.dumps(study).encode()))
    assert res.trial.eligibility.minimum_age.model_dump() == {"value": 6, "unit": "months"}
    assert res.trial.eligibility.maximum_age is None
    assert res.trial.extras["protocolSection.eligibilityModule.maximumAge"] == "N/A"


def test_page_ndjson_and_zip_containers(tmp_path):
    import zipfile

    studies = [json.loads(p.read_bytes()) for p in CORPUS[:3]]
    ids = [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"studies": studies, "nextPageToken": "x"}))
    nd = tmp_path / "studies.ndjson"
    nd.write_text("\n".join(json.dumps(s) for s in studies) + "\n")
    zp = tmp_path / "bulk.zip"
    with zipfile.ZipFile(zp, "w", zipfile.ZIP_DEFLATED) as zf:
        for s, i in zip(studies, ids, strict=True):
            zf.writestr(f"ctg-studies/{i}.json", json.dumps(s))
    for path in (page, nd, zp):
        got = [r.trial.identification.nct_id for r in read_path(path) if r.ok]
        assert sorted(got) == sorted(ids), path.name
