"""The SDTM schema check's fast path (jsonschema_rs says yes/no, the reference engine words the findings) gives the
reference engine's findings, on CDISC's own Dataset-JSON examples and on broken copies of them (issue 17 item 5).

The broken copies are made by hypothesis: a value anywhere in the document replaced by a value of another JSON type,
a pattern-breaking string, a negative number, an unknown property, or a required property removed."""

from __future__ import annotations

import copy
import json
from typing import Any

from conftest import DATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialexport.formats.sdtm.validation import reference_schema_errors, schema_errors

EXAMPLES = {name: json.loads((DATA / "dataset-json-1.1" / f"example-sdtm-{name}.json").read_text(encoding="utf-8"))
            for name in ("ts", "ta", "te", "ti", "tv")}


def _reference(doc: Any) -> list[Any]:
    return reference_schema_errors(doc, "x.json")


def _paths(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*at, i))
    return out


REPLACEMENTS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", "x", "2024-13-45T00:00:00", "2024-01-01T00:00:00\n", "1.2", "1.1.0", "string", "integer",
                     "decimal", "-1"]),
    st.just([]), st.just({}), st.just({"unexpected": 1}),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(EXAMPLES)), pick=st.integers(0, 10**6), how=st.sampled_from(["set", "drop", "add"]),
       value=REPLACEMENTS)
def test_fast_path_gives_the_reference_findings_on_broken_copies(name: str, pick: int, how: str, value: Any) -> None:
    doc = copy.deepcopy(EXAMPLES[name])
    paths = _paths(doc)[1:]
    path = paths[pick % len(paths)]
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if how == "set":
        parent[path[-1]] = value
    elif how == "drop" and isinstance(parent, dict):
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent["notInTheSchema"] = value
    else:
        parent.append(value)
    assert schema_errors(doc, "x.json") == _reference(doc)


def test_examples_pass_both_engines_and_a_known_break_is_found_by_both() -> None:
    for doc in EXAMPLES.values():
        assert schema_errors(doc, "x.json") == _reference(doc) == []
    doc = copy.deepcopy(EXAMPLES["ta"])
    doc["datasetJSONVersion"] = "2.0"
    found = schema_errors(doc, "x.json")
    assert found == _reference(doc) and [(d.code, d.path) for d in found] == [("SDTM-SCHEMA", "datasetJSONVersion")]
