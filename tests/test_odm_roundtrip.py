"""The ODM reader: model -> ODM -> model over every corpus record and fixture, and ODM as an input format.

Coverage is measured by reading: every populated field the writer says it carried must come back equal from the
document (list items compared per path as multisets; a country as the same ISO 3166 country), and what does not
come back must be a field the coverage report names as not carried, with its reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, SEED_PAGE, cli

import trialexport
from trialexport.devtools.roundtrip import compare
from trialexport.formats.base import Options
from trialexport.formats.registry import find
from trialexport.readers import read_bytes

INPUTS = [*CORPUS, SEED_PAGE, *sorted((ROOT / "fixtures" / "inputs").glob("*"))]


def _trials() -> list[tuple[str, trialexport.Trial]]:
    return [(f"{p.name}:{r.trial.study_id}", r.trial) for p in INPUTS for r in trialexport.read(p)]


@pytest.mark.parametrize("version", ["2.0", "1.3.2"])
def test_every_carried_field_reads_back_equal(version: str) -> None:
    problems = {}
    for name, trial in _trials():
        out = find("odm", version).write(trial, Options(validate=False))
        (back,) = list(read_bytes(out.data, name=f"{name}.xml"))
        assert back.trial is not None, (name, [d.format_text() for d in back.diagnostics])
        assert out.coverage is not None
        lost = compare(trial, back.trial).missing()
        unexplained = {p: n for p, n in lost.items() if p not in out.coverage.not_carried}
        if unexplained:
            problems[name] = unexplained
    assert problems == {}


def test_a_changed_value_is_caught() -> None:
    """The comparison can fail: a document whose trial title was edited reads back different there only."""
    (res,) = list(trialexport.read(CORPUS[0]))
    data = trialexport.to_odm(res.trial, version="2.0")
    title = res.trial.identification.official_title
    assert title and f'Value="{title}"'.encode() in data
    (back,) = list(read_bytes(data.replace(f'Value="{title}"'.encode(), b'Value="edited"'), name="x.xml"))
    assert compare(res.trial, back.trial).missing() == {"identification.official_title": 1}


def test_odm_in_model_and_fhir_out(tmp_path: Path) -> None:
    """``convert X.odm-2.0.xml --to model`` and any-to-any: ODM in, FHIR R5 out, the same study."""
    src = ROOT / "fixtures" / "inputs" / "NCT00711542.json"
    cli("convert", src, "--to", "odm-2.0", "-o", tmp_path, "-q")
    odm = tmp_path / "NCT00711542.odm-2.0.xml"
    ran = cli("convert", odm, "--to", "model", "-o", "-")
    assert ran.returncode == 0, ran.stderr
    model = json.loads(ran.stdout)
    assert model["identification"]["nct_id"] == "NCT00711542"
    assert model["design"]["masking"] == "QUADRUPLE"  # kept beside DOUBLE BLIND: many-to-one loses nothing
    assert [a["label"] for a in model["arms"]] == ["1", "2"]
    ran = cli("convert", odm, "--to", "fhir-r5", "-o", "-")
    assert ran.returncode == 0, ran.stderr
    bundle = json.loads(ran.stdout)
    study = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ResearchStudy")
    assert study["title"].startswith("Effects of Intracoronary Progenitor Cell Therapy")


def test_odm_without_study_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "data.xml"
    path.write_text('<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileType="Snapshot" FileOID="F" '
                    'CreationDateTime="2024-01-01T00:00:00"><ClinicalData StudyOID="S" MetaDataVersionOID="M"/></ODM>')
    ran = cli("convert", path, "--to", "model", "-o", "-")
    assert ran.returncode == 1
    assert "READ-ODM" in ran.stderr and "Traceback" not in ran.stderr
