"""Fast path = slow path on broken copies of a large multi-site FHIR Bundle (issue 17 items 3 and 5).

The FHIR validator shares work between objects of one shape: the element walk works out the required and choice
verdicts of a tuple of property names once (:class:`~trialexport.formats.fhir.validation.elements._Shape`; hundreds of
Locations of a study share one), and the project rules run a path-less pre-walk that skips the full walk when nothing
is suspect. The slow path switches both off (every object gets its own verdict, the full walk always runs). Each
broken copy below must give identical findings on both paths, and the findings must name the break (its JSON pointer,
written here from where the break was made).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest

from trialexport.formats.fhir.bundle import map_bundle
from trialexport.formats.fhir.validation import elements, project_rules, validate_fhir

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
}


def _findings(doc: JSON, version: str) -> list[tuple[str, str, str, str | None]]:
    return [(d.severity, d.code, d.message, d.path) for d in validate_fhir(doc, version)]


def _slow(doc: JSON, version: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str, str | None]]:
    """Findings with nothing shared: a fresh shape verdict per object, the full project-rule walk always."""
    with monkeypatch.context() as m:
        m.setattr(elements, "_MAX_SHAPES", 0)
        m.setattr(project_rules, "_suspect", lambda node: True)
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
