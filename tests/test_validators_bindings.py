"""Required value-set bindings of code elements (FHIR-BINDING): generated tables, the check, and the corpus outputs."""

from __future__ import annotations

import json

import orjson
import pytest
from conftest import CORPUS

from trialexport.formats.base import Options
from trialexport.formats.fhir.validation import ENGINES, load_schema, validate_fhir
from trialexport.formats.fhir.validation.bindings import load_bindings, required_codes
from trialexport.formats.fhir.validation.elements import element_errors
from trialexport.formats.fhir.validation.pieces import split as _pieces
from trialexport.formats.fhir.validation.schemagraph import element_paths
from trialexport.formats.registry import get as get_format


def _codes(found):
    return [(d.code, d.path) for d in found]


def _bundle(*resources, **extra):
    entries = [
        {"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{i:012d}", "resource": r} for i, r in enumerate(resources)
    ]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries, **extra}


# --------------------------------------------------------------------------- R5: what the schema lets through


@pytest.mark.parametrize("engine", ENGINES)
def test_r5_research_study_status_outside_value_set(engine):
    found = validate_fhir({"resourceType": "ResearchStudy", "status": "finished"}, "r5", engine=engine)
    assert _codes(found) == [("FHIR-BINDING", "/status")]
    assert found[0].is_error
    assert found[0].message.startswith(
        "'finished' is not in the required value set for ResearchStudy.status (draft, active, retired, unknown; "
        "http://hl7.org/fhir/ValueSet/publication-status)"
    )


@pytest.mark.parametrize("status", ["draft", "active", "retired", "unknown"])
def test_r5_valid_statuses_pass(status):
    assert validate_fhir({"resourceType": "ResearchStudy", "status": status}, "r5") == []


def test_r5_group_membership_in_bundle_entry():
    bundle = _bundle(
        {"resourceType": "ResearchStudy", "status": "active"},
        {"resourceType": "Group", "membership": "sometimes", "type": "person"},
    )
    found = validate_fhir(bundle, "r5")
    assert _codes(found) == [("FHIR-BINDING", "/entry/1/resource/membership")]
    assert "Group.membership (definitional, enumerated;" in found[0].message
    bundle["entry"][1]["resource"].update(membership="enumerated", type="robot")
    assert _codes(validate_fhir(bundle, "r5")) == [("FHIR-BINDING", "/entry/1/resource/type")]


def test_r5_bundle_level_and_backbone_codes():
    bundle = _bundle({"resourceType": "Location", "status": "closed"}, type="pile")
    bundle["entry"][0]["request"] = {"method": "FETCH", "url": "Location/x"}
    found = validate_fhir(bundle, "r5")
    assert _codes(found) == [
        ("FHIR-BINDING", "/type"),
        ("FHIR-BINDING", "/entry/0/request/method"),
        ("FHIR-BINDING", "/entry/0/resource/status"),
    ]
    assert "Bundle.entry.request.method (GET, HEAD, POST, PUT, DELETE, PATCH;" in found[1].message
    assert "Location.status (active, suspended, inactive;" in found[2].message


def test_r5_deeper_backbone_contained_and_arrays():
    plan = {
        "resourceType": "PlanDefinition",
        "status": "active",
        "action": [{"action": [{"groupingBehavior": "random-group"}], "selectionBehavior": "any"}],
        "contained": [{"resourceType": "Group", "membership": "sometimes", "type": "person", "id": "g"}],
    }
    found = validate_fhir(plan, "r5")
    assert _codes(found) == [
        ("FHIR-BINDING", "/action/0/action/0/groupingBehavior"),
        ("FHIR-BINDING", "/contained/0/membership"),
    ]
    assert "PlanDefinition.action.groupingBehavior" in found[0].message  # action.action is a contentReference
    q = {"resourceType": "Questionnaire", "status": "active", "subjectType": ["Patient", "Nobody"]}
    assert _codes(validate_fhir(q, "r5")) == [("FHIR-BINDING", "/subjectType/1")]


def test_r5_content_reference_is_named_by_its_definition():
    cap = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2024",
        "kind": "instance",
        "fhirVersion": "5.0.0",
        "format": ["json"],
        "rest": [{"mode": "server", "searchParam": [{"name": "x", "type": "fuzzy"}]}],
    }
    found = validate_fhir(cap, "r5")
    assert _codes(found) == [("FHIR-BINDING", "/rest/0/searchParam/0/type")]
    assert "CapabilityStatement.rest.resource.searchParam.type" in found[0].message


def test_r5_codes_inside_extensions_and_datatypes_report_once():
    """Datatype codes (Quantity.comparator, Identifier.use, ...) carry enums in the R5 schema: one finding each."""
    study = {
        "resourceType": "ResearchStudy",
        "status": "active",
        "identifier": [{"use": "bogus"}],
        "extension": [{"url": "http://example.org/x", "valueQuantity": {"value": 1, "comparator": "~"}}],
    }
    assert _codes(validate_fhir(study, "r5")) == [
        ("FHIR-SCHEMA", "/identifier/0/use"),
        ("FHIR-SCHEMA", "/extension/0/valueQuantity/comparator"),
    ]
    pieces, _ = _pieces(study, "r5")
    assert _codes(element_errors(pieces, "r5")[0]) == [
        ("FHIR-BINDING", "/identifier/0/use"),
        ("FHIR-BINDING", "/extension/0/valueQuantity/comparator"),
    ]


def test_wrong_json_types_are_left_to_the_schema_and_input_is_not_modified():
    study = {"resourceType": "ResearchStudy", "status": 5, "text": {"status": ["generated"], "div": "<div/>"}}
    before = json.dumps(study, sort_keys=True)
    found = validate_fhir(study, "r5")
    assert {d.code for d in found} == {"FHIR-SCHEMA"}
    assert json.dumps(study, sort_keys=True) == before


# --------------------------------------------------------------------------- R4


@pytest.mark.parametrize("engine", ENGINES)
def test_r4_bad_code_is_reported_once_at_the_same_path(engine):
    found = validate_fhir({"resourceType": "ResearchStudy", "status": "finished"}, "r4", engine=engine)
    assert [d.path for d in found] == ["/status"]  # the R4 schema's enum (FHIR-SCHEMA); no duplicate
    pieces, _ = _pieces({"resourceType": "ResearchStudy", "status": "finished"}, "r4")
    (binding,) = element_errors(pieces, "r4")[0]
    assert (binding.code, binding.path) == ("FHIR-BINDING", "/status")
    assert "ResearchStudy.status (active, administratively-completed," in binding.message


def test_r4_valid_codes_pass_and_nested_codes_are_found():
    assert validate_fhir({"resourceType": "ResearchStudy", "status": "completed"}, "r4") == []
    bundle = _bundle({"resourceType": "Group", "type": "person", "actual": True})
    bundle["entry"][0]["request"] = {"method": "FETCH", "url": "Group/x"}
    assert [d.path for d in validate_fhir(bundle, "r4")] == ["/entry/0/request/method"]
    pieces, _ = _pieces(bundle, "r4")
    assert _codes(element_errors(pieces, "r4")[0]) == [("FHIR-BINDING", "/entry/0/request/method")]


# --------------------------------------------------------------------------- the generated tables


def test_r5_table_has_the_expected_bindings_and_skips():
    table = load_bindings("r5")
    b = table["bindings"]
    assert b["ResearchStudy.status"] == ["draft", "active", "retired", "unknown"]
    assert b["Group.membership"] == ["definitional", "enumerated"]
    assert {"collection", "transaction", "searchset"} <= set(b["Bundle.type"])
    assert b["Location.status"] == ["active", "suspended", "inactive"]
    assert b["Bundle.entry.request.method"] == ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]
    assert b["Quantity.comparator"] == ["<", "<=", ">=", ">", "ad"]
    for element in ("PlanDefinition.status", "ContactPoint.system", "HumanName.use", "Identifier.use",
                    "Address.use", "Narrative.status", "Group.type", "Age.comparator"):  # fmt: skip
        assert b[element], element
    assert table["valueSets"]["Group.membership"] == "http://hl7.org/fhir/ValueSet/group-membership-basis"
    assert table["skipped"]["ResearchStudy.language"]["valueSet"] == "http://hl7.org/fhir/ValueSet/all-languages"
    assert "urn:ietf:bcp:47" in table["skipped"]["ResearchStudy.language"]["reason"]
    assert "urn:ietf:bcp:13" in table["skipped"]["Attachment.contentType"]["reason"]
    assert table["coded"]["Condition.clinicalStatus"]["types"] == ["CodeableConcept"]
    assert len(b) > 350
    assert required_codes("r5", "ResearchStudy.status") == frozenset({"draft", "active", "retired", "unknown"})
    assert required_codes("r5", "ResearchStudy.title") is None


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_every_binding_names_a_schema_property_and_agrees_with_schema_enums(version):
    defs = load_schema(version)["definitions"]
    where = {
        f"{p}.{prop}": sub
        for name, aliases in element_paths(defs).items()
        for p in aliases
        for prop, sub in defs[name]["properties"].items()
    }
    late: set[str] = set()
    for element, codes in load_bindings(version)["bindings"].items():
        assert element in where, element
        assert len(set(codes)) == len(codes), element
        prop = where[element]
        enum = prop.get("enum") or (prop.get("items") or {}).get("enum")
        if not enum:
            continue
        if version == "r5":  # the 26 datatype codes the R5 schema does enumerate
            assert set(enum) == set(codes), element
        else:  # the R4 schema was built before the final value sets: it lacks '4.0.1' and abstract codes
            assert set(enum) <= set(codes), element
            late.update(set(codes) - set(enum))
    assert late <= {"4.0.1", "question"}


def test_element_paths_follow_the_schema():
    r4 = element_paths(load_schema("r4")["definitions"])
    r5 = element_paths(load_schema("r5")["definitions"])
    assert r4["Bundle_Request"] == ("Bundle.entry.request",)
    assert r5["ResearchStudy_ProgressStatus"] == ("ResearchStudy.progressStatus",)
    assert set(r5["CapabilityStatement_SearchParam"]) == {
        "CapabilityStatement.rest.searchParam",
        "CapabilityStatement.rest.resource.searchParam",
    }
    for defs, paths in ((load_schema("r4")["definitions"], r4), (load_schema("r5")["definitions"], r5)):
        assert [n for n in defs if "_" in n and n not in paths] == []  # every backbone definition is reached


def test_generated_tables_are_in_provenance(refresh):
    rows = {r["path"]: r for r in refresh.read_provenance()}
    r5, r4 = rows["fhir-r5/required-bindings.json"], rows["fhir-r4/required-bindings.json"]
    assert (r5["source_package"], r5["version"]) == ("hl7.fhir.r5.core", "5.0.0")
    assert r5["path_in_package"] == "generated from StructureDefinitions/ValueSets/CodeSystems"
    assert (r4["source_package"], r4["version"]) == ("hl7.fhir.r4.examples", "4.0.1")  # no r4.core on npm
    assert r4["path_in_package"] == r5["path_in_package"]
    assert refresh.check() == []


def _package(*resources) -> dict[str, bytes]:
    return {f"package/{r['resourceType']}-{r['id']}.json": json.dumps(r).encode() for r in resources}


def test_generator_expands_value_sets_and_lists_what_it_cannot(refresh):
    cs = {"resourceType": "CodeSystem", "id": "colour", "url": "http://x/colour", "content": "complete",
          "concept": [{"code": "red", "concept": [{"code": "dark-red"}]}, {"code": "blue"}]}  # fmt: skip
    frag = {"resourceType": "CodeSystem", "id": "frag", "url": "http://x/frag", "content": "fragment", "concept": []}
    vs = [
        {"resourceType": "ValueSet", "id": "all", "url": "http://x/vs/all",
         "compose": {"include": [{"system": "http://x/colour"}], "exclude": [{"system": "http://x/colour",
                                                                             "concept": [{"code": "blue"}]}]}},
        {"resourceType": "ValueSet", "id": "listed", "url": "http://x/vs/listed",
         "compose": {"include": [{"system": "http://other", "concept": [{"code": "a"}, {"code": "b"}]}]}},
        {"resourceType": "ValueSet", "id": "import", "url": "http://x/vs/import",
         "compose": {"include": [{"valueSet": ["http://x/vs/listed|1.0"]}, {"system": "http://x/colour",
                                                                           "concept": [{"code": "blue"}]}]}},
        {"resourceType": "ValueSet", "id": "filter", "url": "http://x/vs/filter",
         "compose": {"include": [{"system": "http://x/colour", "filter": [{"property": "concept", "op": "is-a",
                                                                           "value": "red"}]}]}},
        {"resourceType": "ValueSet", "id": "frag", "url": "http://x/vs/frag",
         "compose": {"include": [{"system": "http://x/frag"}]}},
    ]  # fmt: skip

    def el(path, url, type_="code", strength="required"):
        return {"path": path, "type": [{"code": type_}], "binding": {"strength": strength, "valueSet": url}}

    sd = {"resourceType": "StructureDefinition", "id": "Thing", "kind": "resource", "derivation": "specialization",
          "snapshot": {"element": [
              {"path": "Thing"}, el("Thing.a", "http://x/vs/all|5.0.0"), el("Thing.b.c", "http://x/vs/import"),
              el("Thing.d", "http://x/vs/filter"), el("Thing.e", "http://x/vs/frag"),
              el("Thing.f", "http://x/vs/nope"), el("Thing.g", "http://x/vs/all", "CodeableConcept"),
              el("Thing.h", "http://x/vs/all", strength="extensible"),
          ]}}  # fmt: skip
    profile = dict(sd, id="Profiled", derivation="constraint")
    doc = json.loads(refresh.bindings_table("r5", _package(cs, frag, *vs, sd, profile)))
    assert doc["bindings"] == {"Thing.a": ["red", "dark-red"], "Thing.b.c": ["a", "b", "blue"]}
    assert doc["valueSets"]["Thing.a"] == "http://x/vs/all"
    assert doc["coded"] == {"Thing.g": {"types": ["CodeableConcept"], "valueSet": "http://x/vs/all"}}
    assert doc["skipped"]["Thing.d"]["reason"] == "uses a filter on http://x/colour (concept is-a red)"
    assert "content is 'fragment'" in doc["skipped"]["Thing.e"]["reason"]
    assert doc["skipped"]["Thing.f"]["reason"] == "http://x/vs/nope is not in the package"
    assert set(doc["skipped"]) == {"Thing.d", "Thing.e", "Thing.f"}


# --------------------------------------------------------------------------- the writers' real outputs


@pytest.mark.parametrize("version", ["r5", "r4"])
@pytest.mark.parametrize("bundle_type", ["collection", "transaction"])
def test_writer_bundles_respect_every_required_binding(all_trials, version, bundle_type):
    assert len(all_trials) == len(CORPUS) + 1
    write = get_format(f"fhir-{version}").write
    violations = {}
    for name, trial in all_trials.items():
        bundle = orjson.loads(write(trial, Options(bundle_type=bundle_type, validate=False)).data)
        pieces, problems = _pieces(bundle, version)
        assert problems == []
        found = [d.format_text() for d in element_errors(pieces, version)[0]]
        found += [d.format_text() for d in validate_fhir(bundle, version) if d.code == "FHIR-BINDING"]
        if found:
            violations[name] = found[:5]
    assert violations == {}
