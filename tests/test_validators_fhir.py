"""FHIR validators: official JSON schemas (jsonschema_rs / python-jsonschema), references, models, version detection."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import time

import pytest

from trialexport.formats.fhir import validation as fhir
from trialexport.formats.fhir.validation import detect_fhir_version, validate_fhir, validate_fhir_models
from trialexport.formats.fhir.validation import schema as fhir_schema

ENGINES = ("rs", "py")
DECIMAL_R5 = "^-?(0|[1-9][0-9]{0,17})(\\.[0-9]{1,17})?([eE][+-]?[0-9]{1,9}})?$"


def study(**extra: object) -> dict:
    return {"resourceType": "ResearchStudy", "status": "active", **extra}


def location(i: int, **extra: object) -> dict:
    return {"resourceType": "Location", "id": f"loc{i}", "name": f"Site {i}", "status": "active", **extra}


def bundle(*resources: dict, **extra: object) -> dict:
    entries = [
        {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{i:012d}", "resource": r} for i, r in enumerate(resources)
    ]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries, **extra}


def paths(diags: list) -> list[str]:
    return [d.path for d in diags]


# --------------------------------------------------------------------------- basic verdicts and pointers


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("version", ["r5", "r4"])
def test_minimal_research_study_is_valid(engine: str, version: str) -> None:
    assert validate_fhir({"resourceType": "ResearchStudy", "status": "active"}, version, engine=engine) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_wrong_type_points_at_the_field(engine: str) -> None:
    (d,) = validate_fhir(study(status=5), "r5", engine=engine)
    assert (d.severity, d.code, d.path) == ("error", "FHIR-SCHEMA", "/status")
    assert "string" in d.message


@pytest.mark.parametrize("engine", ENGINES)
def test_bundle_errors_point_into_the_right_entry(engine: str) -> None:
    b = bundle(location(0), location(1), location(2), study(status=5))
    b["entry"][1]["resource"]["foo"] = 1  # unknown property in a resource
    b["entry"][2]["bar"] = True  # unknown property on the entry itself
    got = validate_fhir(b, "r5", engine=engine)
    assert sorted(paths(got)) == ["/entry/1/resource/foo", "/entry/2/bar", "/entry/3/resource/status"]
    unknown = next(d for d in got if d.path == "/entry/1/resource/foo")
    assert "'foo'" in unknown.message and "Location" in unknown.message


@pytest.mark.parametrize("engine", ENGINES)
def test_bundle_shell_is_still_validated(engine: str) -> None:
    b = bundle(location(0), type=7, total="x")
    assert set(paths(validate_fhir(b, "r5", engine=engine))) == {"/total", "/type"}


@pytest.mark.parametrize("engine", ENGINES)
def test_nested_non_resources_are_rejected_by_the_shell(engine: str) -> None:
    b = bundle({"foo": 1}, {"resourceType": "NoSuchType"})
    assert paths(validate_fhir(b, "r5", engine=engine)) == ["/entry/0/resource", "/entry/1/resource"]


@pytest.mark.parametrize("engine", ENGINES)
def test_contained_resources_are_validated_against_their_own_type(engine: str) -> None:
    s = study(contained=[{"resourceType": "Organization", "id": "o1", "name": 3}])
    assert paths(validate_fhir(s, "r5", engine=engine)) == ["/contained/0/name"]


def test_unknown_or_missing_resource_type_at_root() -> None:
    (d,) = validate_fhir({"resourceType": "Nope"}, "r5")
    assert d.path == "/resourceType" and "'Nope'" in d.message
    (d,) = validate_fhir({"status": "active"}, "r4")
    assert d.path == "" and "missing" in d.message
    (d,) = validate_fhir([], "r5")  # type: ignore[arg-type]
    assert d.code == "FHIR-SCHEMA"


def test_input_is_not_modified() -> None:
    b = bundle(study(status=5, contained=[location(1)]), location(2))
    before = copy.deepcopy(b)
    for engine in ENGINES:
        validate_fhir(b, "r5", engine=engine)
    assert b == before


def test_versions_differ_where_the_specs_differ() -> None:
    r4_only = study(arm=[{"name": "A"}], enrollment=[{"reference": "Group/g"}])
    r5_only = study(progressStatus=[{"state": {"text": "active"}}], comparisonGroup=[{"name": "A"}])
    assert validate_fhir(r4_only, "r4") == [] and validate_fhir(r5_only, "r5") == []
    assert sorted(paths(validate_fhir(r4_only, "r5"))) == ["/arm", "/enrollment"]
    assert sorted(paths(validate_fhir(r5_only, "r4"))) == ["/comparisonGroup", "/progressStatus"]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown FHIR version"):
        validate_fhir(study(), "r6")
    with pytest.raises(ValueError, match="unknown validation engine"):
        validate_fhir(study(), "r5", engine="java")
    assert fhir.choose_engine("py") == "py"
    assert fhir.choose_engine(None) == fhir.choose_engine("rs") == "rs"


# --------------------------------------------------------------------------- references


def test_references_inside_a_bundle_must_resolve() -> None:
    org = {"resourceType": "Organization", "id": "sp", "name": "Sponsor"}
    s = study(
        associatedParty=[
            {"role": {"text": "sponsor"}, "party": {"reference": "urn:uuid:00000000-0000-4000-8000-000000000001"}},
            {"role": {"text": "collab"}, "party": {"reference": "Organization/sp"}},
            {"role": {"text": "collab"}, "party": {"reference": "Organization/missing"}},
            {"role": {"text": "collab"}, "party": {"reference": "urn:uuid:00000000-0000-4000-8000-00000000dead"}},
            {"role": {"text": "external"}, "party": {"reference": "https://example.org/fhir/Organization/x"}},
        ],
        site=[{"reference": "Location/loc7"}],
    )
    b = bundle(s, org)
    b["entry"].append({"fullUrl": "https://example.org/fhir/Location/loc7", "resource": location(99)})
    got = validate_fhir(b, "r5")
    refs = [d for d in got if d.code == "FHIR-REF"]
    assert [d.path for d in refs] == [
        "/entry/0/resource/associatedParty/2/party/reference",
        "/entry/0/resource/associatedParty/3/party/reference",
    ]
    assert "Organization/missing" in refs[0].message
    assert got == refs  # nothing else is wrong


# --------------------------------------------------------------------------- engine parity

_CASES: list[tuple[str, str, dict]] = [
    ("valid minimal", "r5", study()),
    ("valid rich", "r5", study(title="T", period={"start": "2020-01-15", "end": "2021"}, phase={"text": "2"})),
    ("valid r4", "r4", study(arm=[{"name": "A"}], period={"start": "2020-01-15T10:00:00Z"})),
    ("wrong type", "r5", study(title=["not", "a", "string"])),
    ("unknown property", "r5", study(colour="blue")),
    ("unknown property r4", "r4", study(progressStatus=[])),
    ("bad code pattern", "r5", study(status="active  study")),
    ("code with trailing newline", "r5", study(status="active\n")),
    ("code with tab", "r4", study(status="a\tb")),
    ("missing required", "r5", {"resourceType": "Group", "membership": "definitional", "characteristic": [{}]}),
    ("missing required r4", "r4", {"resourceType": "EvidenceVariable", "status": "active"}),
    ("bad date", "r5", study(period={"start": "2020-13-01"})),
    ("bad dateTime offset", "r4", study(period={"start": "2020-01-01T10:00:00"})),
    ("decimal as string", "r5", {"resourceType": "Location", "position": {"longitude": "1.5", "latitude": 2}}),
    ("decimal with exponent", "r5", {"resourceType": "Location", "position": {"longitude": 1e5, "latitude": 2}}),
    ("bad uri", "r5", study(url="http://a b")),
    ("bad id", "r4", study(id="has_underscore")),
    ("bundle mixed", "r5", bundle(location(0), study(status=5), location(2, bogus=1))),
    ("bundle valid", "r4", bundle(*(location(i) for i in range(5)))),
]


@pytest.mark.parametrize(("name", "version", "resource"), _CASES, ids=[c[0] for c in _CASES])
def test_engines_agree(name: str, version: str, resource: dict) -> None:
    rs = validate_fhir(resource, version, engine="rs")
    py = validate_fhir(resource, version, engine="py")
    assert (rs == []) == (py == []), (rs, py)
    assert sorted(paths(rs)) == sorted(paths(py))
    expect_valid = name.startswith("valid") or name in {"decimal with exponent", "bundle valid"}
    assert (rs == []) is expect_valid, rs


def test_trailing_newline_follows_ecma_in_both_engines() -> None:
    # python-jsonschema alone would accept "active\n" (Python's $ matches before a final newline).
    assert fhir_schema.ecma_to_python_regex("^[^\\s]+( [^\\s]+)*$") == "^[^\\s]+( [^\\s]+)*\\Z"
    assert fhir_schema.ecma_to_python_regex("[$]\\$$") == "[$]\\$\\Z"
    for engine in ENGINES:
        assert paths(validate_fhir(study(status="active\n"), "r5", engine=engine)) == ["/status"]


# --------------------------------------------------------------------------- the R5 regex


def test_r5_decimal_pattern_is_rewritten_and_nothing_else() -> None:
    (rewrite,) = fhir.pattern_rewrites("r5")
    original, fixed, where = rewrite
    assert original == DECIMAL_R5
    assert fixed == DECIMAL_R5.replace("{1,9}}", "{1,9}\\}")
    assert "#/definitions/decimal/pattern" in where and len(where) == 25
    assert fhir.pattern_rewrites("r4") == ()
    assert fhir.load_schema("r5")["definitions"]["decimal"]["pattern"] == fixed


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_schema_nodes_reach_every_pattern_and_number(version: str) -> None:
    """The amendments visit only definitions and their properties: a full walk finds nothing elsewhere."""
    import orjson

    from trialexport.resources import schema_path

    raw = orjson.loads(schema_path(f"fhir-{version}", "fhir.schema.json").read_bytes())
    everywhere: set[str] = set()

    def walk(node: object, pointer: str) -> None:
        if isinstance(node, dict):
            if "pattern" in node or node.get("type") in ("number", "integer"):
                everywhere.add(pointer)
            for key, value in node.items():
                walk(value, f"{pointer}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{pointer}/{i}")

    walk(raw, "#")
    visited = {pointer for _, pointer, _ in fhir_schema.schema_nodes(raw)}
    assert everywhere and everywhere <= visited


def test_r5_decimal_rewrite_is_equivalent_and_accepted_by_jsonschema_rs() -> None:
    import jsonschema_rs

    a, b = re.compile(DECIMAL_R5), re.compile(DECIMAL_R5.replace("{1,9}}", "{1,9}\\}"))
    for s in ["1", "-0.5", "1e5", "1e5}", "1.25E+10}", "01", "", "1e", "12345678901234567890"]:
        assert bool(a.search(s)) == bool(b.search(s)), s
    draft6 = "http://json-schema.org/draft-06/schema#"
    with pytest.raises(jsonschema_rs.ValidationError, match="regex"):
        jsonschema_rs.validator_for({"$schema": draft6, "pattern": DECIMAL_R5})
    jsonschema_rs.validator_for({"$schema": draft6, "pattern": b.pattern})


# --------------------------------------------------------------------------- models


def test_models_r5() -> None:
    assert validate_fhir_models(study(), "r5") == []
    (d,) = validate_fhir_models({"resourceType": "ResearchStudy"}, "r5")
    assert (d.code, d.path) == ("FHIR-MODEL", "/status")
    b = bundle(location(0), study(status=5, _title={"id": 3}))
    got = validate_fhir_models(b, "r5")
    assert sorted(paths(got)) == ["/entry/1/resource/_title/id", "/entry/1/resource/status"]


def test_models_r4_only_parses_types_equal_in_r4b() -> None:
    assert validate_fhir_models(study(arm=[{"name": "A"}]), "r4") == []
    (d,) = validate_fhir_models(study(arm=[{"name": 5}]), "r4")
    assert d.path == "/arm/0/name"
    # PlanDefinition differs between R4B and R4: not parsed with R4B models (the schema check still applies).
    assert validate_fhir_models({"resourceType": "PlanDefinition", "status": 1}, "r4") == []
    from trialexport.formats.fhir.validation.models import R4_MODEL_TYPES as r4_types
    assert r4_types == {"ResearchStudy", "Group", "Organization", "Location", "Practitioner", "Bundle"}


# --------------------------------------------------------------------------- version detection


def test_detect_version() -> None:
    assert detect_fhir_version(study(progressStatus=[{"state": {"text": "active"}}])) == "r5"
    assert detect_fhir_version(study(enrollment=[{"reference": "Group/1"}])) == "r4"
    assert detect_fhir_version(bundle(location(0, telecom=[{"value": "1"}]))) == "r4"
    assert detect_fhir_version(bundle(study(recruitment={"targetNumber": 3}))) == "r5"
    assert detect_fhir_version({"resourceType": "PlanDefinition", "actor": []}) == "r5"  # from the schemas
    assert detect_fhir_version({"resourceType": "MedicinalProduct"}) == "r4"  # R4-only resource type
    assert detect_fhir_version({"resourceType": "ActorDefinition", "status": "draft"}) == "r5"  # R5-only type
    assert detect_fhir_version(study(objective=[{"description": "x"}])) == "r5"  # only R5 validates it
    assert detect_fhir_version(study(meta={"profile": ["http://x/StructureDefinition/y|4.0.1"]})) == "r4"
    assert detect_fhir_version(study()) is None  # valid in both
    assert detect_fhir_version({"no": "resource"}) is None


# --------------------------------------------------------------------------- cost


def test_import_is_lazy() -> None:
    code = (
        "import sys, trialexport.formats.fhir.validation as v, trialexport.formats.fhir.validation.schema as f\n"
        "assert f._load.cache_info().currsize == 0\n"
        "assert not {'jsonschema_rs', 'jsonschema', 'fhir.resources', 'orjson'} & set(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_bundle_of_100_locations_is_fast() -> None:
    b = bundle(*(location(i, address={"city": "Boston", "country": "US"}) for i in range(100)))
    fhir.prepare("r5", "rs")
    validate_fhir(b, "r5")
    start = time.perf_counter()
    for _ in range(10):
        assert validate_fhir(b, "r5") == []
    assert (time.perf_counter() - start) / 10 < 0.05  # measured ~0.5 ms; generous bound for slow CI


def test_non_json_values_are_reported_not_raised() -> None:
    import datetime

    for engine in ENGINES:
        (d,) = validate_fhir(study(date=datetime.date(2020, 1, 1)), "r5", engine=engine)
        assert d.path == "/date"
