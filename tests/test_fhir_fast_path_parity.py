"""Fast path = slow path on broken copies of a large multi-site FHIR Bundle (issue 17 items 3 and 5).

The FHIR validator shares work between objects of one shape: the element walk works out the required and choice
verdicts of a tuple of property names once (:class:`~trialexport.formats.fhir.validation.elements._Shape`; hundreds of
Locations of a study share one), the project rules run a path-less pre-walk that skips the full walk when nothing
is suspect, and for a schema-valid document of at most 1 MiB the element walk checks the extensions and the full walk
is not run at all (:func:`~trialexport.formats.fhir.validation.validate.walk_decides`). The slow path switches all
three off (every object gets its own verdict, the full walk always runs). Each broken copy below must give identical
findings on both paths, and the findings must name the break (its JSON pointer, written here from where the break was
made).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from trialexport.formats.fhir.bundle import map_bundle, serialize
from trialexport.formats.fhir.validation import elements, project_rules, validate, validate_fhir

STUDY = "NCT05952557"  # the corpus record with the most sites (796 Locations)
DEEP = 500  # the Location (and site reference) that gets broken: deep in the Bundle, one of hundreds alike

JSON = dict[str, Any]


@pytest.fixture(scope="module")
def bundles(corpus_trials) -> dict[str, JSON]:
    trial = corpus_trials[STUDY].trial
    assert len(trial.locations) > 700
    return {version: map_bundle(trial, version)[0] for version in ("r5", "r4")}


def _location(bundle: JSON, n: int) -> tuple[str, JSON]:
    """The JSON pointer and the resource of the ``n``-th Location entry (0-based)."""
    found = [i for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == "Location"]
    assert len(found) > 700
    return f"/entry/{found[n]}/resource", bundle["entry"][found[n]]["resource"]


def _study_site(bundle: JSON, n: int) -> tuple[str, JSON]:
    """The JSON pointer and the object of the ResearchStudy's ``n``-th site Reference."""
    assert bundle["entry"][0]["resource"]["resourceType"] == "ResearchStudy"
    return f"/entry/0/resource/site/{n}", bundle["entry"][0]["resource"]["site"][n]


def _bad_use(bundle: JSON) -> str:  # a code outside Address.use's required value set, one level down
    where, loc = _location(bundle, DEEP)
    loc["address"]["use"] = "bogus"
    return f"{where}/address/use"


def _bad_mode(bundle: JSON) -> str:  # a code outside Location.mode's required value set (instance | kind)
    where, loc = _location(bundle, DEEP)
    loc["mode"] = "sometimes"
    return f"{where}/mode"


def _dangling(bundle: JSON) -> str:  # the study's site points at no entry of the Bundle
    where, site = _study_site(bundle, DEEP)
    site["reference"] = "urn:uuid:00000000-0000-5000-8000-000000000000"
    return f"{where}/reference"


def _bad_extension(bundle: JSON) -> str:  # the project's site-status extension with a value type it does not take
    where, site = _study_site(bundle, DEEP)
    ext = site["extension"][0]
    ext["valueString"] = ext.pop(next(k for k in ext if k.startswith("value")))["text"]
    return f"{where}/extension/0"


def _too_long(bundle: JSON) -> str:  # a string over FHIR's 1 MB limit
    where, loc = _location(bundle, DEEP)
    loc["name"] = "x" * (project_rules.MAX_STRING + 1)
    return f"{where}/name"


BASE = "https://trialexport.org/fhir/StructureDefinition"


def _no_definition(bundle: JSON) -> str:  # under the project's base with no definition, on a primitive (_name)
    where, loc = _location(bundle, DEEP)
    loc["_name"] = {"extension": [{"url": f"{BASE}/no-such-extension", "valueString": "x"}]}
    return f"{where}/_name/extension/0"


def _modifier(bundle: JSON) -> str:  # a modifierExtension with a value type its definition does not take
    where, loc = _location(bundle, DEEP)
    loc["modifierExtension"] = [{"url": f"{BASE}/has-results", "valueString": "no"}]
    return f"{where}/modifierExtension/0"


def _bad_parts(bundle: JSON) -> str:  # a complex extension with a value and two parts it does not define, one of
    # them itself a project extension with no definition: two findings at one path, in the slow walk's order
    ext = next(e for e in bundle["entry"][0]["resource"]["extension"] if e["url"] == f"{BASE}/oversight")
    at = bundle["entry"][0]["resource"]["extension"].index(ext)
    ext["valueBoolean"] = True
    ext["extension"] += [{"url": "nope", "valueBoolean": True}, {"url": f"{BASE}/nope", "valueString": "x"}]
    return f"/entry/0/resource/extension/{at}"


def _part_renamed(bundle: JSON) -> str:  # a complex extension whose part has a name its definition lacks, all else
    # as in the valid extensions of every study (remembered verdicts must not hide it)
    ext = next(e for e in bundle["entry"][0]["resource"]["extension"] if e["url"] == f"{BASE}/oversight")
    at = bundle["entry"][0]["resource"]["extension"].index(ext)
    ext["extension"][0]["url"] = ext["extension"][0]["url"] + "x"
    return f"/entry/0/resource/extension/{at}/extension/0"


def _deep_in_value(bundle: JSON) -> str:  # inside the value of a site's extension (a Coding of a CodeableConcept)
    where, site = _study_site(bundle, DEEP)
    coding = site["extension"][0]["valueCodeableConcept"]["coding"][0]
    coding["extension"] = [{"url": f"{BASE}/has-results", "valueCode": "no"}]
    return f"{where}/extension/0/valueCodeableConcept/coding/0/extension/0"


def _contained(bundle: JSON) -> str:  # in a contained resource (a piece of its own)
    where, loc = _location(bundle, DEEP)
    loc["contained"] = [{"resourceType": "Organization", "id": "c1", "name": "x",
                         "extension": [{"url": f"{BASE}/has-results", "valueString": "x"}]}]
    return f"{where}/contained/0/extension/0"


def _in_div(bundle: JSON) -> str:  # an object where the schema admits anything (xhtml div): the walk does not go there
    where, loc = _location(bundle, DEEP)
    loc["text"] = {"status": "generated", "div": {"extension": [{"url": f"{BASE}/has-results", "valueString": "x"}]}}
    return f"{where}/text/div/extension/0"


def _unknown_property(bundle: JSON) -> str:  # a property no schema knows, holding a bad extension
    where, loc = _location(bundle, DEEP)
    loc["bogus"] = {"extension": [{"url": f"{BASE}/has-results", "valueString": "x"}]}
    return f"{where}/bogus"


def _no_latitude(bundle: JSON) -> str:  # Location.position.latitude is required (min 1)
    where, loc = _location(bundle, DEEP)
    del loc["position"]["latitude"]
    return f"{where}/position"


BREAKS: dict[str, tuple[Callable[[JSON], str], set[str]]] = {
    "bad-code-deep": (_bad_use, {"FHIR-BINDING", "FHIR-SCHEMA"}),  # R4's schema has the enum, R5's does not
    "bad-code": (_bad_mode, {"FHIR-BINDING", "FHIR-SCHEMA"}),
    "dangling-reference": (_dangling, {"FHIR-REF"}),
    "extension-value-type": (_bad_extension, {"FHIR-EXTENSION"}),
    "string-limit": (_too_long, {"FHIR-STRING-LIMIT"}),
    "missing-required": (_no_latitude, {"FHIR-REQUIRED", "FHIR-SCHEMA"}),
    "extension-no-definition": (_no_definition, {"FHIR-EXTENSION"}),
    "modifier-extension": (_modifier, {"FHIR-EXTENSION"}),
    "extension-parts": (_bad_parts, {"FHIR-EXTENSION"}),
    "extension-part-renamed": (_part_renamed, {"FHIR-EXTENSION"}),
    "extension-in-value": (_deep_in_value, {"FHIR-EXTENSION"}),
    "extension-contained": (_contained, {"FHIR-EXTENSION"}),
    "extension-in-div": (_in_div, {"FHIR-EXTENSION"}),
    "unknown-property": (_unknown_property, {"FHIR-EXTENSION", "FHIR-SCHEMA"}),
}


def _findings(doc: JSON, version: str, size: int | None = None) -> list[tuple[str, str, str, str | None]]:
    """Findings on the fast path: ``size`` as the FHIR format gives it (the byte length of the serialization)."""
    size = len(serialize(doc)) if size is None else size
    return [(d.severity, d.code, d.message, d.path) for d in validate_fhir(doc, version, size=size)]


def _slow(doc: JSON, version: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str, str | None]]:
    """Findings with nothing shared or skipped: a fresh shape verdict per object, every object visited (no inert
    shape skipped), the full project-rule walk always."""
    init = elements._Shape.__init__

    def visit_all(shape: Any, plan: Any, keys: tuple[str, ...]) -> None:
        init(shape, plan, keys)
        shape.inert = False

    with monkeypatch.context() as m:
        m.setattr(elements._Shape, "__init__", visit_all)
        m.setattr(elements, "_MAX_SHAPES", 0)
        m.setattr(project_rules, "_suspect", lambda node: True)
        m.setattr(validate, "walk_decides", lambda size, clean: False)
        saved = {name: dict(d.shapes) for name, d in elements._plan(version).items()}
        for d in elements._plan(version).values():
            d.shapes.clear()
        try:
            return _findings(doc, version)
        finally:
            for name, d in elements._plan(version).items():
                d.shapes.update(saved[name])


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_large_bundle_is_valid_on_both_paths(bundles, version: str, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = bundles[version]
    assert _findings(doc, version) == _slow(doc, version, monkeypatch) == []


@pytest.mark.parametrize("version", ["r5", "r4"])
@pytest.mark.parametrize("name", sorted(BREAKS))
def test_broken_copy_same_findings(bundles, version: str, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = orjson.loads(orjson.dumps(bundles[version]))
    breaker, codes = BREAKS[name]
    where = breaker(doc)
    fast = _findings(doc, version)
    assert fast == _slow(doc, version, monkeypatch)
    named = [f for f in fast if f[0] == "error" and f[3] is not None and f[3].startswith(where)]
    assert named, f"{name}: no error at {where}: {fast}"
    assert {f[1] for f in named} <= codes


def _no_full_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(doc: Any) -> list[Any]:
        raise AssertionError("the full project-rule walk ran")

    monkeypatch.setattr(validate, "project_rule_errors", refuse)


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_element_walk_reaches_every_object(version: str) -> None:
    assert elements.walk_gaps(version) == ()


@pytest.mark.parametrize("version", ["r5", "r4"])
@pytest.mark.parametrize("name", ["valid", "extension-value-type", "extension-parts", "extension-part-renamed",
                                  "extension-in-value",
                                  "extension-contained", "modifier-extension", "extension-no-definition"])
def test_own_outputs_skip_the_full_walk(bundles, version: str, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortcut is taken on schema-valid outputs under 1 MiB, broken extensions included (they were caught above
    with the same findings as the full walk)."""
    doc = orjson.loads(orjson.dumps(bundles[version]))
    if name != "valid":
        BREAKS[name][0](doc)
    expected = _findings(doc, version)
    _no_full_walk(monkeypatch)
    assert _findings(doc, version) == expected


@pytest.mark.parametrize("name", ["extension-in-div", "unknown-property", "string-limit"])
def test_full_walk_where_the_element_walk_cannot_decide(bundles, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An object the element walk does not visit (an open div), a schema error, a document over 1 MiB: full walk."""
    doc = orjson.loads(orjson.dumps(bundles["r5"]))
    BREAKS[name][0](doc)
    _no_full_walk(monkeypatch)
    with pytest.raises(AssertionError, match="full project-rule walk"):
        _findings(doc, "r5")


def test_size_bound_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shortcut is taken up to MAX_STRING bytes and not beyond; a document of exactly MAX_STRING bytes (its
    longest string necessarily shorter) gets the same findings as the full walk. Any character takes at least one
    byte of JSON (the proof in walk_decides)."""
    limit = project_rules.MAX_STRING
    assert validate.walk_decides(limit, True) and not validate.walk_decides(limit + 1, True)
    assert not validate.walk_decides(limit, False) and not validate.walk_decides(None, True)
    for ch in ("x", "\n", "\x00", '"', "é", "€", "😀"):
        assert len(serialize({"s": ch * 1000})) > 1000
    doc: JSON = {"resourceType": "Location", "id": "a", "name": ""}
    doc["name"] = "x" * (limit - len(serialize(doc)))
    assert len(serialize(doc)) == limit
    _no_full_walk(monkeypatch)
    assert _findings(doc, "r5") == []
    monkeypatch.undo()
    assert _slow(doc, "r5", monkeypatch) == []


@pytest.mark.parametrize("extra", [0, 1])
def test_string_limit_boundary_same_findings(extra: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A resource with one string of MAX_STRING + extra characters: over the limit it is caught on both paths (its
    document is then over 1 MiB, so the shortcut is not taken); at the limit, nothing on either path."""
    doc: JSON = {"resourceType": "Location", "id": "a", "name": "x" * (project_rules.MAX_STRING + extra)}
    size = len(serialize(doc))
    assert size > project_rules.MAX_STRING
    fast = _findings(doc, "r5", size)
    assert fast == _slow(doc, "r5", monkeypatch)
    assert [f[1] for f in fast] == (["FHIR-STRING-LIMIT"] if extra else [])


def test_open_properties_are_told_apart() -> None:
    """What may hold an object the walk does not follow: an ``xhtml`` (``{}``) or untyped value; not a scalar, an
    enum, an array of those, a ``ResourceList`` (cut out by the split) or a definition the walk follows."""
    defs = {"xhtml": {}, "string": {"type": "string"}, "ResourceList": {"oneOf": []}, "Coding": {"properties": {}}}
    is_open = [elements._open(p, defs) for p in (
        {"$ref": "#/definitions/xhtml"}, {}, {"type": "array", "items": {}},
        {"$ref": "#/definitions/string"}, {"enum": ["a"]}, {"const": "Location"},
        {"type": "array", "items": {"enum": ["a"]}}, {"$ref": "#/definitions/ResourceList"},
        {"type": "array", "items": {"$ref": "#/definitions/Coding"}})]
    assert is_open == [True, True, True, False, False, False, False, False, False]


def test_walk_gaps_names_what_the_walk_would_miss(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan that does not follow Location.address (or has no Location plan) is a gap: no shortcut then."""
    full = elements._plan("r5")
    broken = dict(full)
    loc = elements._Def()
    loc.props = {k: v for k, v in full["Location"].props.items() if k != "address"}
    loc.opens = full["Location"].opens
    broken["Location"] = loc
    monkeypatch.setattr(elements, "_plan", lambda version: broken)
    assert elements.walk_gaps.__wrapped__("r5") == ("Location.address: Address not followed",)
    del broken["Location"]
    assert "Location: no plan" in elements.walk_gaps.__wrapped__("r5")
