"""Required elements (cardinality min >= 1, FHIR-REQUIRED): generated tables, the check, and the corpus outputs."""

from __future__ import annotations

import io
import json
import tarfile
from types import ModuleType

import pytest

from trialexport.formats.base import Options
from trialexport.formats.fhir.validation import validate_fhir
from trialexport.formats.fhir.validation.required import load_required
from trialexport.formats.registry import get as get_format


def _required(found):
    return [(d.code, d.path, d.message) for d in found if d.code == "FHIR-REQUIRED"]


def test_r5_table_lists_primitive_and_choice_elements() -> None:
    table = load_required("r5")["required"]
    assert table["ResearchStudy"]["status"] == ["status"]
    assert table["Group"]["membership"] == ["membership"]
    assert "valueBoolean" in table["Group.characteristic"]["value[x]"]


def test_research_study_without_status() -> None:
    found = validate_fhir({"resourceType": "ResearchStudy", "id": "x"}, "r5")
    assert _required(found) == [
        ("FHIR-REQUIRED", "/status", "required element ResearchStudy.status (min 1) is missing")
    ]
    # the extension-only form of a primitive is present
    ext = {"extension": [{"url": "http://example.org/x", "valueString": "a"}]}
    assert _required(validate_fhir({"resourceType": "ResearchStudy", "id": "x", "_status": ext}, "r5")) == []


def test_group_without_membership_inside_a_bundle() -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000001",
         "resource": {"resourceType": "Group", "id": "g", "type": "person"}}]}  # fmt: skip
    assert [(c, p) for c, p, _ in _required(validate_fhir(bundle, "r5"))] == [
        ("FHIR-REQUIRED", "/entry/0/resource/membership")
    ]


def test_choice_element_satisfied_by_any_type() -> None:
    group = {"resourceType": "Group", "id": "g", "type": "person", "membership": "definitional",
             "characteristic": [{"code": {"text": "age"}, "exclude": False}]}  # fmt: skip
    assert [p for _, p, _ in _required(validate_fhir(group, "r5"))] == ["/characteristic/0/value[x]"]
    group["characteristic"][0]["valueBoolean"] = True
    assert _required(validate_fhir(group, "r5")) == []


def test_elements_the_schema_requires_are_reported_once() -> None:
    study = {"resourceType": "ResearchStudy", "id": "x", "status": "active", "text": {"status": "generated"}}
    for version in ("r5", "r4"):
        codes = [(d.code, d.path) for d in validate_fhir(study, version)]
        assert codes == [("FHIR-SCHEMA", "/text")], version


@pytest.mark.parametrize("target", ["fhir-r5", "fhir-r4"])
def test_corpus_outputs_have_no_missing_required_elements(target: str, corpus_trials) -> None:
    write = get_format(target).write
    for res in corpus_trials.values():
        trial = res.trial
        out = write(trial, Options(model_check=False))
        assert _required(out.diagnostics) == [], trial.study_id
        assert out.ok, trial.study_id


def test_model_check_off_skips_only_the_model_parse(corpus_trials) -> None:
    trial = next(iter(corpus_trials.values())).trial
    write = get_format("fhir-r5").write
    assert write(trial, Options(model_check=False)).data == write(trial, Options(model_check=True)).data


def _package(*resources: dict) -> dict[str, bytes]:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for r in resources:
            data = json.dumps(r).encode()
            info = tarfile.TarInfo(f"package/StructureDefinition-{r['id']}.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    with tarfile.open(fileobj=buf, mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def test_generator_reads_snapshot_min_and_choice_types(refresh: ModuleType) -> None:
    sd = {"resourceType": "StructureDefinition", "id": "Thing", "kind": "resource", "derivation": "specialization",
          "snapshot": {"element": [
              {"id": "Thing", "path": "Thing", "min": 0},
              {"id": "Thing.status", "path": "Thing.status", "min": 1, "type": [{"code": "code"}]},
              {"id": "Thing.note", "path": "Thing.note", "min": 0, "type": [{"code": "string"}]},
              {"id": "Thing.part.value[x]", "path": "Thing.part.value[x]", "min": 1,
               "type": [{"code": "boolean"}, {"code": "CodeableConcept"}]}]}}  # fmt: skip
    profile = dict(sd, id="Profiled", derivation="constraint")
    doc = json.loads(refresh.required_table("r5", _package(sd, profile)))
    assert doc["required"] == {"Thing": {"status": ["status"]},
                               "Thing.part": {"value[x]": ["valueBoolean", "valueCodeableConcept"]}}  # fmt: skip
    assert doc["choices"] == {"Thing.part": {"value[x]": ["valueBoolean", "valueCodeableConcept"]}}
