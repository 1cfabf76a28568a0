"""The FHIR outputs' extensions: every URL resolves to a definition (the project's package, generated from the
tables, or an HL7 definition the project vendors or transcribes), every value has the definition's type, the
definitions themselves are valid StructureDefinitions, and no output holds a placeholder URL."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT

from trialexport.formats.fhir import VERSIONS
from trialexport.formats.fhir.bundle import map_bundle
from trialexport.formats.fhir.validation import validate_fhir, validate_fhir_models

PACKAGE = ROOT / "mappings" / "fhir" / "package"
VENDORED = ROOT / "schemas" / "fhir-extensions"
XVER = "http://hl7.org/fhir/5.0/StructureDefinition/extension-"
# Value types of the R5 elements the HL7 cross-version extensions (hl7.fhir.uv.xver-r5.r4 0.1.0) stand for, written by
# hand from the R5 ResearchStudy / RelatedArtifact definitions: a complex extension's parts are the backbone's children.
R5_ELEMENTS = {
    "ResearchStudy.label": {"type": "CodeableConcept", "value": "string"},
    "ResearchStudy.progressStatus": {"state": "CodeableConcept", "actual": "boolean", "period": "Period"},
    "ResearchStudy.descriptionSummary": "markdown",
    "ResearchStudy.date": "dateTime",
    "ResearchStudy.classifier": "CodeableConcept",
    "ResearchStudy.associatedParty": {"name": "string", "role": "CodeableConcept", "period": "Period",
                                      "classifier": "CodeableConcept", "party": "Reference"},
    "ResearchStudy.recruitment": {"targetNumber": "unsignedInt", "actualNumber": "unsignedInt",
                                  "eligibility": "Reference", "actualGroup": "Reference"},
    "ResearchStudy.outcomeMeasure": {"name": "string", "type": "CodeableConcept", "description": "markdown",
                                     "reference": "Reference"},
    "RelatedArtifact.classifier": "CodeableConcept",
    "RelatedArtifact.publicationStatus": "code",
}  # fmt: skip


def _definitions() -> dict[str, dict]:
    """url -> {"value": type} or {"parts": {url: type}} from the package and the vendored HL7 definitions."""
    out: dict[str, dict] = {}
    for path in [*PACKAGE.glob("StructureDefinition-*.json"), *VENDORED.glob("StructureDefinition-*.json")]:
        sd = json.loads(path.read_text(encoding="utf-8"))
        elements = sd.get("differential", sd.get("snapshot", {}))["element"]
        value = [e for e in elements if e["id"] == "Extension.value[x]" and e.get("max") != "0" and "type" in e]
        parts = {e["id"].split(":")[1].split(".")[0]: e["type"][0]["code"] for e in elements
                 if e["id"].startswith("Extension.extension:") and e["id"].endswith(".value[x]")}  # fmt: skip
        out[sd["url"]] = {"value": [t["code"] for t in value[0]["type"]]} if value else {"parts": parts}
    for element, shape in R5_ELEMENTS.items():
        out[XVER + element] = {"value": [shape]} if isinstance(shape, str) else {"parts": shape}
    return out


def _extensions(node, where=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("extension", "modifierExtension"):
                for ext in value:  # its parts are checked with it; elements inside a value may have their own
                    yield ext, where
                    yield from _extensions({k: v for k, v in ext.items() if k != "extension"}, f"{where}.{key}")
                    for sub in ext.get("extension", []):
                        yield from _extensions({k: v for k, v in sub.items() if k != "extension"}, f"{where}.{key}")
                continue
            yield from _extensions(value, f"{where}.{key}" if key != "resource" else node.get("resourceType", ""))
    elif isinstance(node, list):
        for item in node:
            yield from _extensions(item, where)


def _value_type(ext: dict) -> str | None:
    keys = [k for k in ext if k.startswith("value")]
    return keys[0][5:] if keys else None


@pytest.fixture(scope="module")
def bundles(all_trials):
    return {(name, v): map_bundle(trial, v)[0] for name, trial in all_trials.items() for v in VERSIONS}


def test_every_extension_resolves_and_has_the_defined_type(bundles):
    defs = _definitions()
    used: set[str] = set()
    problems = []
    for (name, version), bundle in bundles.items():
        for ext, where in _extensions(bundle):
            url = ext["url"]
            used.add(url)
            d = defs.get(url)
            if d is None:
                problems.append((name, version, where, url, "no definition"))
            elif "value" in d:
                if (_value_type(ext) or "").lower() not in [t.lower() for t in d["value"]]:
                    problems.append((name, version, where, url, f"value{_value_type(ext)} not {d['value']}"))
            else:
                for sub in ext["extension"]:
                    want = d["parts"].get(sub["url"])
                    if want is None or (_value_type(sub) or "").lower() != want.lower():
                        problems.append((name, version, where, f"{url}#{sub['url']}", f"{_value_type(sub)} not {want}"))
    assert problems == []
    assert any(u.startswith("https://trialexport.org/fhir/StructureDefinition/") for u in used)
    assert any(u.startswith(XVER) for u in used)


def test_no_placeholder_urls(bundles):
    placeholder = re.compile(r"\.invalid\b|example\.(org|com)|localhost")
    for key, bundle in bundles.items():
        assert not placeholder.search(json.dumps(bundle)), key


def test_package_definitions_are_valid_structure_definitions():
    files = sorted(PACKAGE.glob("*-*.json"))
    assert len(files) >= 10
    manifest = json.loads((PACKAGE / "package.json").read_text(encoding="utf-8"))
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert doc["url"].startswith(manifest["canonical"] + "/"), path.name
        assert [d.format_text() for d in validate_fhir(doc, "r5") + validate_fhir_models(doc, "r5")] == [], path.name
    vendored = json.loads((VENDORED / "StructureDefinition-data-absent-reason.json").read_text(encoding="utf-8"))
    assert vendored["url"] == "http://hl7.org/fhir/StructureDefinition/data-absent-reason"  # HL7's own, as published


def test_package_folder_holds_only_generated_files():
    from trialexport.devtools.fhir_package import package_files

    assert sorted(p.name for p in PACKAGE.iterdir()) == sorted(package_files())


@pytest.mark.parametrize("version", VERSIONS)
def test_validator_checks_extension_types_and_string_limit(all_trials, version):
    """The rules behind the fixes are checked by validate too: a wrong value type, an undefined project extension,
    and a string over FHIR's 1 MiB limit (real record NCT00763412 with its description made 1,048,577 long)."""
    trial = all_trials["NCT00763412"].model_copy(deep=True)
    bundle, _ = map_bundle(trial, version)
    assert validate_fhir(bundle, version) == []
    study = bundle["entry"][0]["resource"]
    ident = next(i for i in study["identifier"] if "extension" in i)
    ident["extension"][0] = {"url": ident["extension"][0]["url"], "valueString": "https://reporter.nih.gov/"}
    study.setdefault("extension", []).append({"url": "https://trialexport.org/fhir/StructureDefinition/nothing",
                                              "valueBoolean": True})
    found = {(d.code, d.path) for d in validate_fhir(bundle, version)}
    assert ("FHIR-EXTENSION", f"/entry/0/resource/identifier/{study['identifier'].index(ident)}/extension/0") in found
    assert ("FHIR-EXTENSION", f"/entry/0/resource/extension/{len(study['extension']) - 1}") in found
    trial.description.detailed_description = "x" * 1_048_577
    bundle, _ = map_bundle(trial, version)
    found = [(d.code, d.path) for d in validate_fhir(bundle, version)]
    assert found == [("FHIR-STRING-LIMIT", "/entry/0/resource/description")]


