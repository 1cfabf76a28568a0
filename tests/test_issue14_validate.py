"""Issue 14 items 2-7, 9, 17: ``trialexport validate`` on files written elsewhere (HL7's official examples, CDISC
files from public repositories), what it says about each file, and how much."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CORPUS, DATA, ROOT, cli

from trialexport.formats.fhir.validation import load_schema, schema_amendments, validate_fhir
from trialexport.validate_files import validate_file

HL7 = DATA / "hl7-examples"
CDISC = DATA / "cdisc"
NEGATIVE = ROOT / "fixtures" / "negative"
SEED_ODM = ROOT / "fixtures" / "expected" / "seed-page" / "NCT04318600.odm-1.3.2.xml"


def _json(path: Path) -> dict:
    return json.loads(path.read_bytes())


def _errors(result) -> list[str]:
    return [f"{d.code} {d.path}: {d.message}" for d in result.findings if d.is_error]


# --------------------------------------------------------------------------- item 2: R4 fhirVersion 4.0.1 and friends


def test_official_r4_conformance_resources_declaring_4_0_1_are_valid():
    path = HL7 / "r4" / "CapabilityStatement-messagedefinition.json"
    assert _json(path)["fhirVersion"] == "4.0.1"
    result = validate_file(str(path), fhir_version="r4")
    assert result.status == "valid", _errors(result)
    assert "4.0.1" in load_schema("r4")["definitions"]["CapabilityStatement"]["properties"]["fhirVersion"]["enum"]
    assert "fhirVersion:CapabilityStatement.fhirVersion" in schema_amendments("r4")
    bad = {**_json(path), "fhirVersion": "4.0.9"}  # still a closed value set
    assert [d.path for d in validate_fhir(bad, "r4")] == ["/fhirVersion"]


def test_canonical_elements_may_carry_extensions_and_primitive_patterns_use_xml_schema_white_space():
    for version, name in (("r4", "StructureDefinition-example-composition.json"), ("r4", "CodeSystem-program.json"),
                          ("r5", "QuestionnaireResponse-f201.json")):
        result = validate_file(str(HL7 / version / name), fhir_version=version)
        assert result.status == "valid", (name, _errors(result))
    program = _json(HL7 / "r4" / "CodeSystem-program.json")
    assert program["concept"][0]["display"].endswith("\u00a0")  # a no-break space: text, not XML Schema white space
    program["concept"][0]["code"] = " 1"  # leading white space in a code still fails
    assert [d.path for d in validate_fhir(program, "r4")] == ["/concept/0/code"]
    qr = _json(HL7 / "r5" / "QuestionnaireResponse-f201.json")
    assert "questionnaire" not in qr and "_questionnaire" in qr  # a required element present by its extension only
    del qr["_questionnaire"]
    (d,) = validate_fhir(qr, "r5")
    assert (d.code, d.path) == ("FHIR-REQUIRED", "/questionnaire")


def test_known_defects_of_the_fhir_resources_models_are_not_reported():
    for name in ("StructureDefinition-integer64.json", "CodeSystem-search-entry-mode.json"):
        result = validate_file(str(HL7 / "r5" / name), fhir_version="r5")
        assert result.status == "valid", (name, _errors(result))


def test_null_items_in_element_arrays_are_allowed_but_not_null_values_elsewhere():
    sp = {"resourceType": "SearchParameter", "url": "http://x/sp", "name": "x", "status": "active",
          "description": "d", "code": "x", "base": ["Patient", "Group"], "type": "token",
          "_base": [None, {"extension": [{"url": "http://x/e", "valueString": "y"}]}]}
    assert validate_fhir(sp, "r5") == []
    assert [d.path for d in validate_fhir({**sp, "_base": [None, 3]}, "r5")] == ["/_base/1"]


def test_a_genuine_defect_of_an_official_example_stays_an_error():
    result = validate_file(str(HL7 / "r4" / "SearchParameter-valueset-extensions-ValueSet-author.json"),
                           fhir_version="r4")
    assert result.status == "invalid"
    assert _errors(result) == ["FHIR-REQUIRED /base: required element SearchParameter.base (min 1) is missing"]


# --------------------------------------------------------------------------- item 3: references by Bundle type


@pytest.mark.parametrize("version", ["r4", "r5"])
def test_a_searchset_may_reference_resources_it_does_not_include(version):
    path = HL7 / version / "Bundle-bundle-example.json"
    assert _json(path)["type"] == "searchset"
    result = validate_file(str(path), fhir_version=version)
    assert result.status == "valid", _errors(result)
    notes = [d for d in result.findings if d.code == "FHIR-REF-OUTSIDE"]
    assert notes and notes[0].severity == "info" and "'Patient/347'" in notes[0].message
    # trialexport's own outputs are self-contained: there the same reference is an error
    assert "FHIR-REF" in {d.code for d in validate_fhir(_json(path), version)}


def _doc_bundle(btype: str, ref: str, where: str = "composition") -> dict:
    comp = {"resourceType": "Composition", "id": "c", "status": "final", "type": {"text": "t"}, "date": "2024-01-01",
            "author": [{"display": "a"}], "title": "T"}
    obs = {"resourceType": "Observation", "id": "o", "status": "final", "code": {"text": "x"}}
    (comp if where == "composition" else obs)["subject"] = {"reference": ref}
    return {"resourceType": "Bundle", "type": btype, "identifier": {"system": "urn:x", "value": "1"},
            "timestamp": "2024-01-01T00:00:00Z",
            "entry": [{"fullUrl": "http://x/Composition/c", "resource": comp},
                      {"fullUrl": "http://x/Observation/o", "resource": obs}]}


def test_what_a_bundle_type_requires_to_resolve_inside_it():
    def codes(bundle: dict) -> list[tuple[str, str]]:
        return [(d.severity, d.code) for d in validate_fhir(bundle, "r5", self_contained=False)
                if d.code.startswith("FHIR-REF")]

    assert codes(_doc_bundle("document", "Patient/p")) == [("error", "FHIR-REF")]  # the Composition's subject
    assert codes(_doc_bundle("document", "Patient/p", "observation")) == [("info", "FHIR-REF-OUTSIDE")]
    assert codes(_doc_bundle("collection", "Patient/p")) == [("info", "FHIR-REF-OUTSIDE")]
    assert codes(_doc_bundle("collection", "urn:uuid:00000000-0000-4000-8000-000000000009")) == [("error", "FHIR-REF")]
    assert codes(_doc_bundle("searchset", "Observation/o")) == []


# --------------------------------------------------------------------------- item 4: the version shown, and why


def test_kind_and_version_are_shown_with_the_reason_in_every_output_format():
    path = HL7 / "r4" / "Bundle-bundle-example.json"  # R4, no fhirVersion anywhere
    text = cli("validate", str(path))
    assert text.returncode == 0
    assert f"{path}: ok: FHIR R4 Bundle (version: R4-only" in text.stdout
    given = cli("validate", "--fhir-version", "r4", str(path))
    assert "FHIR R4 Bundle (version: given with --fhir-version)" in given.stdout
    declared = cli("validate", str(HL7 / "r4" / "CapabilityStatement-messagedefinition.json"))
    assert "FHIR R4 CapabilityStatement (version: CapabilityStatement.fhirVersion 4.0.1)" in declared.stdout
    report = json.loads(cli("validate", "--format", "json", str(path)).stdout)
    assert report["results"][0]["kind"].startswith("FHIR R4 Bundle (version: R4-only")
    github = cli("validate", "--format", "github", "-v", str(path)).stdout
    assert github.startswith(f"::notice file={path},title=valid: FHIR R4 Bundle (version: R4-only")
    broken = cli("validate", "--format", "github", str(NEGATIVE / "fhir-r4-bundle-dangling-reference.json")).stdout
    assert "title=FHIR-REF (FHIR R4 Bundle (version:" in broken


# --------------------------------------------------------------------------- item 5: CDISC files from elsewhere

DEFINE_21 = b"""<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1"
     ODMVersion="1.3.2" FileType="Snapshot" FileOID="DEF.1" CreationDateTime="2024-01-01T00:00:00"
     def:Context="Submission">
  <Study OID="ST.1">
    <GlobalVariables><StudyName>S</StudyName><StudyDescription>D</StudyDescription>
      <ProtocolName>P</ProtocolName></GlobalVariables>
    <MetaDataVersion OID="MDV.1" Name="Define" def:DefineVersion="2.1.0">
      <ItemGroupDef OID="IG.DM" Name="DM" Repeating="No" def:Structure="One record per subject">
        <ItemRef ItemOID="IT.DM.USUBJID" Mandatory="Yes" def:UnknownThing="1"/>
      </ItemGroupDef>
      <ItemDef OID="IT.DM.USUBJID" Name="USUBJID" DataType="text" Length="20"/>
    </MetaDataVersion>
  </Study>
</ODM>
"""

ODM_131 = b"""<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" ODMVersion="1.3.1" FileType="Snapshot" FileOID="F.1"
     CreationDateTime="2010-01-01T00:00:00"><Study OID="S"/></ODM>
"""

CLINICAL_ONLY = b"""<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileType="Transactional" FileOID="F.2" PriorFileOID="F.1"
     CreationDateTime="2024-01-01T00:00:00" ODMVersion="1.3.2">
  <ClinicalData StudyOID="ST.1" MetaDataVersionOID="MDV.1">
    <SubjectData SubjectKey="001">
      <StudyEventData StudyEventOID="SE.1">
        <FormData FormOID="FORM.DM">
          <ItemGroupData ItemGroupOID="IG.DM"><ItemData ItemOID="IT.AGE" Value="42"/></ItemGroupData>
        </FormData>
      </StudyEventData>
    </SubjectData>
  </ClinicalData>
</ODM>
"""


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    (tmp_path / name).write_bytes(data)
    return str(tmp_path / name)


def test_cdisc_files_from_elsewhere_are_recognised_not_hundreds_of_errors(tmp_path):
    dataset = validate_file(str(CDISC / "dataset-xml-1.0-dm.xml"))
    assert (dataset.status, dataset.kind) == ("skipped", "Dataset-XML 1.0.0")
    assert "not validated: Dataset-XML 1.0.0" in dataset.reason and not _errors(dataset)
    broken_define = validate_file(_write(tmp_path, "broken-define.xml", DEFINE_21))  # issue 16: now validated
    assert broken_define.status == "invalid"
    assert [(d.code, d.line) for d in broken_define.findings if d.is_error] == [("DEFINE-XSD", 10)]
    define = validate_file(_write(tmp_path, "define.xml", DEFINE_21.replace(b' def:UnknownThing="1"', b"")))
    assert define.status == "valid", _errors(define)
    old = validate_file(_write(tmp_path, "old.xml", ODM_131))
    assert (old.status, old.kind) == ("skipped", "ODM 1.3.1")
    clinical = validate_file(_write(tmp_path, "data.xml", CLINICAL_ONLY))
    assert clinical.status == "valid" and clinical.kind == "ODM 1.3.2 ClinicalData", _errors(clinical)
    assert "ODM-METADATA-ELSEWHERE" in {d.code for d in clinical.findings}
    broken = validate_file(_write(tmp_path, "broken.xml", CLINICAL_ONLY.replace(b' SubjectKey="001"', b"")))
    assert broken.status == "invalid" and [d.code for d in broken.findings if d.is_error] == ["ODM-XSD"]
    proc = cli("validate", str(CDISC), str(tmp_path / "define.xml"), str(tmp_path / "data.xml"))
    assert proc.returncode == 0 and "3 file(s): 2 valid, 0 invalid, 1 skipped" in proc.stderr
    assert len(proc.stdout.splitlines()) < 10  # the Dataset-XML file alone printed 2,118 error lines


def test_vendor_extended_odm_is_validated_without_its_extensions(tmp_path):
    ext = 'xmlns:OpenClinica="http://www.openclinica.org/ns/odm_ext_v130/v3.1" OpenClinica:Version="3.1"'
    doc = SEED_ODM.read_bytes().replace(b"<ODM ", f"<ODM {ext} ".encode(), 1)
    doc = doc.replace(b"</Study>", b'<OpenClinica:StudyParameterConfiguration StudyOID="x"/></Study>', 1)
    result = validate_file(_write(tmp_path, "oc.xml", doc))
    assert result.status == "valid", _errors(result)
    (note,) = [d for d in result.findings if d.code == "ODM-EXTENSION"]
    assert "http://www.openclinica.org/ns/odm_ext_v130/v3.1 (2)" in note.message
    still_checked = doc.replace(b'DataType="integer"', b"", 1)
    assert validate_file(_write(tmp_path, "oc-bad.xml", still_checked)).status == "invalid"


def test_skip_unknown_skips_and_says_so(tmp_path):
    other = _write(tmp_path, "pom.xml", b"<project><modelVersion>4.0.0</modelVersion></project>")
    assert cli("validate", other).returncode == 1
    skipped = cli("validate", "--skip-unknown", other)
    assert skipped.returncode == 0 and "0 valid, 0 invalid, 1 skipped" in skipped.stderr
    assert "skipped: XML <project>: skipped (--skip-unknown)" in skipped.stdout


# --------------------------------------------------------------------------- items 6, 7: limits, verbosity, counts


def _many_findings(tmp_path: Path) -> str:
    study = {"resourceType": "ResearchStudy", "status": "active",
             "extension": [{"valueString": str(i)} for i in range(30)]}  # 30 x FHIR-REQUIRED Extension.url
    return _write(tmp_path, "many.json", json.dumps(study).encode())


def test_findings_are_capped_per_file_with_a_count_of_the_rest(tmp_path):
    path = _many_findings(tmp_path)
    out = cli("validate", path).stdout.splitlines()
    assert sum(" error FHIR-REQUIRED" in line for line in out) == 20
    assert out[-1] == f"{path}: 10 more finding(s) (--max-findings 0 shows all)"
    assert sum(" error " in line for line in cli("validate", "--max-findings", "0", path).stdout.splitlines()) == 30
    assert sum(" error " in line for line in cli("validate", "--max-findings", "3", path).stdout.splitlines()) == 3
    report = json.loads(cli("validate", "--format", "json", path).stdout)
    assert len(report["results"][0]["findings"]) == 30  # JSON has them all


def test_severity_overrides_quiet_and_verbose(tmp_path):
    dangling = str(NEGATIVE / "odm-2.0-dangling-item-reference.xml")
    assert cli("validate", dangling).returncode == 1
    warned = cli("validate", "--warn", "odm-oidref", dangling)
    assert warned.returncode == 0 and "warning ODM-OIDREF" in warned.stdout
    assert "1 valid, 0 invalid" in warned.stderr
    ignored = cli("validate", "--ignore", "ODM-OIDREF", "-q", dangling)
    assert ignored.returncode == 0 and ignored.stdout == "" and ignored.stderr == ""
    typo = cli("validate", "--warn", "ODM-OIDREFS", dangling)
    assert typo.returncode == 2 and "did you mean 'ODM-OIDREF'" in typo.stderr
    both = cli("validate", "-q", "-v", dangling)
    assert both.returncode == 2 and "contradict" in both.stderr
    searchset = str(HL7 / "r5" / "Bundle-bundle-example.json")
    assert "FHIR-REF-OUTSIDE" not in cli("validate", searchset).stdout
    assert "info FHIR-REF-OUTSIDE" in cli("validate", "-v", searchset).stdout


def test_valid_invalid_and_skipped_are_counted_apart(tmp_path):
    files = [str(HL7 / "r4" / "CapabilityStatement-messagedefinition.json"),
             str(NEGATIVE / "fhir-r5-bundle-bad-group-membership.json"), str(CDISC / "dataset-xml-1.0-dm.xml")]
    proc = cli("validate", *files)
    assert proc.returncode == 1 and "3 file(s): 1 valid, 1 invalid, 1 skipped" in proc.stderr
    report = json.loads(cli("validate", "--format", "json", *files).stdout)
    assert (report["files"], report["valid"], report["invalid"], report["skipped"]) == (3, 1, 1, 1)
    assert [r["status"] for r in report["results"]] == ["valid", "invalid", "skipped"]


# ----------------------------------------------------------------- item 9: records are checked as convert would


def test_validating_a_registry_record_reports_what_convert_would(tmp_path):
    study = json.loads(CORPUS[0].read_bytes())
    study["protocolSection"]["designModule"].setdefault("enrollmentInfo", {})["count"] = "lots"
    study["protocolSection"]["statusModule"]["overallStatus"] = "FINISHED_MAYBE"
    path = _write(tmp_path, "record.json", json.dumps(study).encode())
    converted = cli("convert", path, "--to", "all", "-o", str(tmp_path / "out"))
    validated = cli("validate", path)
    assert converted.returncode == validated.returncode == 0
    def warned(text: str) -> set[str]:
        return {line.split(" warning ")[1].split(":")[0] for line in text.splitlines() if " warning " in line}
    assert warned(validated.stdout) == warned(converted.stderr) == {"READ-VALUE", "MAP-UNKNOWN-CODE"}
    assert "'lots'" in validated.stdout and "'FINISHED_MAYBE'" in validated.stdout


# --------------------------------------------------------------------------- item 17: dates said plainly


def test_invalid_fhir_dates_say_what_is_wrong(tmp_path):
    patient = {"resourceType": "Patient", "birthDate": "1990-13-45"}
    (d,) = validate_fhir(patient, "r5")
    assert d.message == "invalid date '1990-13-45': month 13 (expected 01-12)"
    (d,) = validate_fhir(patient, "r4", engine="py")
    assert d.message == "invalid date '1990-13-45': month 13 (expected 01-12)"
    (d,) = validate_fhir({**patient, "birthDate": "1990-02-30T10:00:00Z"}, "r5")
    assert d.message == "invalid date '1990-02-30T10:00:00Z': day 30 (month 02 has 29 days at most)"
    (d,) = validate_fhir({"resourceType": "Patient", "meta": {"lastUpdated": "2024-01-01T10:00:00"}}, "r4")
    assert d.message == "invalid instant '2024-01-01T10:00:00': a time needs a time zone (Z or +hh:mm)"
    out = cli("validate", _write(tmp_path, "p.json", json.dumps(patient).encode())).stdout
    assert "error FHIR-SCHEMA: invalid date '1990-13-45': month 13" in out and "does not match" not in out
