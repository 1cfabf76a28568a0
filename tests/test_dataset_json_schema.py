"""The vendored CDISC Dataset-JSON 1.1 schema (schemas/dataset-json-1.1, issue 16 item 1/5).

CDISC's own SDTM trial design examples (tests/data/dataset-json-1.1, copied with provenance) must pass the schema, and
broken copies of them (a column without its required ``dataType``, a column type outside the schema's enumeration, a
document without ``columns``) must fail it. The schema file must still be the byte-identical file its PROVENANCE row
names.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "schemas" / "dataset-json-1.1" / "dataset.schema.json"
EXAMPLES = sorted((ROOT / "tests" / "data" / "dataset-json-1.1").glob("example-sdtm-*.json"))


def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _errors(document: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(document)]


def test_schema_matches_provenance() -> None:
    with (ROOT / "schemas" / "PROVENANCE.tsv").open(encoding="utf-8") as handle:
        rows = {row["path"]: row for row in csv.DictReader(handle, delimiter="\t")}
    row = rows["dataset-json-1.1/dataset.schema.json"]
    assert hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest() == row["sha256"]


def test_all_five_trial_design_examples_are_vendored() -> None:
    assert [p.name for p in EXAMPLES] == [f"example-sdtm-{d}.json" for d in ("ta", "te", "ti", "ts", "tv")]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_cdisc_example_passes_schema(path: Path) -> None:
    assert _errors(json.loads(path.read_text(encoding="utf-8"))) == []


def _broken_copies() -> list[tuple[str, dict[str, Any], str]]:
    ts = json.loads((ROOT / "tests" / "data" / "dataset-json-1.1" / "example-sdtm-ts.json").read_text("utf-8"))
    no_type = copy.deepcopy(ts)
    del no_type["columns"][0]["dataType"]
    bad_type = copy.deepcopy(ts)
    bad_type["columns"][2]["dataType"] = "number"
    no_columns = copy.deepcopy(ts)
    del no_columns["columns"]
    return [
        ("missing-dataType", no_type, "columns/0"),
        ("unknown-dataType", bad_type, "columns/2/dataType"),
        ("missing-columns", no_columns, ""),
    ]


@pytest.mark.parametrize(
    ("name", "document", "location"), _broken_copies(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_broken_copy_fails_schema_at_its_location(name: str, document: dict[str, Any], location: str) -> None:
    errors = _errors(document)
    assert errors, name
    assert any(e.split(": ", 1)[0] == location for e in errors), errors
