"""The fast FHIR checks reject everything the fhir.resources models reject (verdict parity on broken outputs).

``validate_fhir`` (official JSON schema per resource with jsonschema_rs, plus the amendments that state what the
schemas mean, required elements, choice elements, required bindings, references) is what every conversion runs.
The fhir.resources model parse is a slower second opinion (``--model-check``). These tests prove it adds no
verdict on the writers' outputs: every corpus-derived Bundle passes both, and in a deterministic campaign of
mutations of real Bundles, every mutant the models reject is also rejected by ``validate_fhir``.
"""

from __future__ import annotations

import copy
import os
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from trialexport.formats.fhir.bundle import map_bundle
from trialexport.formats.fhir.validation import schema_amendments, validate_fhir, validate_fhir_models

# Small and mid-sized corpus studies of different shapes (observational, withdrawn, results, 4 sites, 11 sites);
# benchmarks/validator_parity.py runs a longer campaign (every corpus study, more mutants) through these variables.
STUDIES = tuple(os.environ.get("TRIALEXPORT_PARITY_STUDIES", "").split()) or (
    "NCT06252142", "NCT01438047", "NCT00763412", "NCT05885022", "NCT05711992")
MUTANTS_PER_BUNDLE = int(os.environ.get("TRIALEXPORT_PARITY_MUTANTS", "160"))


def _errors(diags: list) -> list:
    return [d for d in diags if d.is_error]


def _locations(node: Any, at: tuple = ()) -> Iterator[tuple]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*at, key)
            yield from _locations(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield (*at, i)
            yield from _locations(value, (*at, i))


def _choice_twin(value: Any) -> Any:
    """``value`` with a second type added to its first ``value[x]``; ``None`` if it holds none."""
    if not isinstance(value, dict):
        return None
    chosen = [k for k in value if k.startswith("value") and k[5:6].isupper()]
    if not chosen:
        return None
    return {**value, ("valueString" if chosen[0] != "valueString" else "valueBoolean"): "x"}


# kind -> new value from the old one (None: not applicable)
MUTATIONS: dict[str, Any] = {
    "delete": ...,
    "empty string": lambda v: "",
    "blank string": lambda v: "   ",
    "leading space": lambda v: " x",
    "control char": lambda v: "a\x01b",
    "number": lambda v: 7,
    "negative": lambda v: -1,
    "zero": lambda v: 0,
    "fraction": lambda v: 1.5,
    "boolean": lambda v: True,
    "string": lambda v: "x",
    "bad date": lambda v: "2020-13-45",
    "null": lambda v: None,
    "empty list": lambda v: [],
    "empty object": lambda v: {},
    "wrapped in a list": lambda v: None if isinstance(v, list) else [v],
    "first of the list": lambda v: v[0] if isinstance(v, list) and v else None,
    "unknown element": lambda v: {**v, "zzUnknown": "x"} if isinstance(v, dict) else None,
    "second choice type": _choice_twin,
}


def _mutants(bundle: dict, seed: int) -> Iterator[tuple[str, str, dict]]:
    rng = random.Random(seed)
    where = list(_locations(bundle))
    made = 0
    while made < MUTANTS_PER_BUNDLE:
        at, kind = rng.choice(where), rng.choice(sorted(MUTATIONS))
        doc = copy.deepcopy(bundle)
        parent = doc
        for step in at[:-1]:
            parent = parent[step]
        if kind == "delete":
            del parent[at[-1]]
        else:
            new = MUTATIONS[kind](parent[at[-1]])
            if new is None and kind != "null":
                continue
            parent[at[-1]] = new
        made += 1
        yield kind, "/".join(map(str, at)), doc


@pytest.fixture(scope="module")
def bundles(corpus_trials) -> dict[tuple[str, str], dict]:
    return {(nct, v): map_bundle(corpus_trials[nct].trial, v)[0] for nct in STUDIES for v in ("r5", "r4")}


def test_real_bundles_pass_both(bundles) -> None:
    for (nct, version), bundle in bundles.items():
        assert _errors(validate_fhir(bundle, version)) == [], (nct, version)
        assert _errors(validate_fhir_models(bundle, version)) == [], (nct, version)


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_every_mutant_the_models_reject_is_rejected(bundles, version: str) -> None:
    verdicts: Counter[tuple[bool, bool]] = Counter()
    missed = []
    for n, nct in enumerate(STUDIES):
        for kind, at, doc in _mutants(bundles[(nct, version)], seed=n):
            fast = bool(_errors(validate_fhir(doc, version)))
            model = bool(_errors(validate_fhir_models(doc, version)))
            verdicts[(fast, model)] += 1
            if model and not fast:
                missed.append((nct, kind, at, [d.message for d in validate_fhir_models(doc, version)][:2]))
    print(f"{version}: {sum(verdicts.values())} mutants; (fast rejects, models reject): {dict(verdicts)}")
    assert missed == []
    # the campaign is not vacuous: many mutants are rejected by the models, and some are harmless to both
    assert verdicts[(True, True)] > len(STUDIES) * MUTANTS_PER_BUNDLE // 4, verdicts
    assert verdicts[(False, False)] > 0, verdicts


# --------------------------------------------------------------------------- the gaps the campaign found


def _ext(**value: Any) -> dict:
    return {"resourceType": "ResearchStudy", "status": "active", "extension": [{"url": "http://x/e", **value}]}


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_a_choice_element_has_one_type(version: str) -> None:
    assert validate_fhir(_ext(valueString="a"), version) == []
    (d,) = validate_fhir(_ext(valueString="a", valueBoolean=True), version)
    assert (d.code, d.path) == ("FHIR-CHOICE", "/extension/0/valueString")
    assert "Extension.value[x] has one type, got 2: valueBoolean, valueString" in d.message
    # a primitive and its extension form are one value
    assert validate_fhir(_ext(valueString="a", _valueString={"id": "i"}), version) == []


def test_r4_complex_elements_must_be_objects() -> None:
    for wrong in (7, "text", None, [{"text": "x"}]):
        doc = {"resourceType": "ResearchStudy", "status": "active", "primaryPurposeType": wrong}
        (d,) = validate_fhir(doc, "r4")
        assert (d.code, d.path) == ("FHIR-SCHEMA", "/primaryPurposeType"), wrong
    assert "CodeableConcept" in schema_amendments("r4") and "ResearchStudy" in schema_amendments("r4")
    assert not any(":" not in a for a in schema_amendments("r5"))  # R5 declares "type": "object" itself


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_integer_primitives_are_whole_numbers_in_range(version: str) -> None:
    def study_with(**target: Any) -> dict:
        if version == "r5":
            return {"resourceType": "ResearchStudy", "status": "active", "recruitment": target}
        return _ext(**{k.replace("targetNumber", "valueUnsignedInt"): v for k, v in target.items()})

    assert validate_fhir(study_with(targetNumber=0), version) == []
    for bad in (-1, 1.5, 2**31):
        (d,) = validate_fhir(study_with(targetNumber=bad), version)
        assert d.code == "FHIR-SCHEMA", bad
    (d,) = validate_fhir(_ext(valuePositiveInt=0), version)
    assert d.path == "/extension/0/valuePositiveInt"
    assert validate_fhir(_ext(valueInteger=-5), version) == []
    assert {"unsignedInt:unsignedInt", "positiveInt:positiveInt", "integer:integer"} <= set(schema_amendments(version))


def test_r4_required_primitives_come_from_the_structure_definitions() -> None:
    (d,) = validate_fhir({"resourceType": "ResearchStudy", "status": "active", "extension": [{"valueString": "a"}]},
                         "r4")
    assert (d.code, d.path) == ("FHIR-REQUIRED", "/extension/0/url")
    (d,) = validate_fhir({"resourceType": "ResearchStudy"}, "r4")
    assert (d.code, d.path) == ("FHIR-REQUIRED", "/status")
