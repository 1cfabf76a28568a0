"""Cross-format matrix: one trial -> hand-written fragments expected in FHIR R5, FHIR R4, ODM 1.3.2 and ODM 2.0.

The cases are data (``tests/matrix/*.yaml``, see ``tests/matrix/README.md``); every expected value was written by hand
from the source record and the specifications, never computed from ``mappings/`` or from the tool's output. Only the
public API is used: ``trialexport.read``, ``Trial.model_validate``, ``to_fhir`` and ``to_odm``.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DATA
from fragments import PathError, check, fhir_path, odm_xpath, ts_parameter, ts_values
from lxml import etree

import trialexport

CASES_DIR = Path(__file__).parent / "matrix"
FORMATS = ("fhir-r5", "fhir-r4", "odm-1.3.2", "odm-2.0")
CASE_KEYS = {"case", "about", "source", "model", "ts", *FORMATS}
CHECK_KEYS = {"equals", "contains", "empty", "rule"}
FRAGMENT_KEYS = {"fhir": {"at", *CHECK_KEYS}, "odm": {"xpath", *CHECK_KEYS},
                 "ts": {"param", "code", "term", *CHECK_KEYS}}


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings: registry dates such as 2015-12-18 must compare as text."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def case_shape_problems(case: dict[str, Any], name: str) -> set[str]:
    """Keys a case may not have (typos are errors, not silently ignored), and a missing or doubled trial source."""
    problems = {f"unknown key {k!r}" for k in set(case) - CASE_KEYS}
    for section in ("ts", *FORMATS):
        allowed = FRAGMENT_KEYS[section.split("-")[0]]
        for frag in case.get(section) or []:
            problems |= {f"{section}: unknown key {k!r}" for k in frag if k not in allowed}
    if ("source" in case) == ("model" in case):
        problems.add("needs exactly one of source / model")
    if case.get("case") != name:
        problems.add(f"case must be {name!r}")
    return problems


def load_cases() -> list[dict[str, Any]]:
    """Every case file, checked for shape."""
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        case = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # a SafeLoader subclass
        problems = case_shape_problems(case, path.stem)
        if problems:
            raise PathError(f"{path.name}: {sorted(problems)}")
        cases.append(case)
    return cases


CASES = load_cases()
BY_NAME = {c["case"]: c for c in CASES}


@functools.cache
def trial(name: str) -> Any:
    case = BY_NAME[name]
    if "model" in case:
        return trialexport.Trial.model_validate(case["model"])
    (result,) = list(trialexport.read(DATA / case["source"]))
    return result.trial


@functools.cache
def output(name: str, fmt: str) -> Any:
    kind, version = fmt.split("-", 1)
    if kind == "fhir":
        return trialexport.to_fhir(trial(name), version=version)
    return etree.fromstring(trialexport.to_odm(trial(name), version=version))


def _ts_failures(case: dict[str, Any], fmt: str, root: etree._Element) -> list[str]:
    version = fmt.split("-", 1)[1]
    failures = []
    for frag in case.get("ts", []):
        where = f"{case['case']} · {fmt} · TS {frag['param']}"
        expected = {op: [_ts_item(v) for v in frag[op]] if op != "empty" else frag[op]
                    for op in ("equals", "contains", "empty") if op in frag}
        got = [{"value": v or "", "code": c, "nf": nf} for v, c, nf in ts_values(root, version, frag["param"])]
        msg = check(where, {**frag, **expected}, lambda _p, got=got: got, "param")
        if msg:
            failures.append(msg)
        defs = ts_parameter(root, version, frag["param"])
        if "code" in frag and (not defs or any(code != frag["code"] for _, code in defs)):
            failures.append(f"{where} · parameter C-code\n    rule:     {frag['rule']}\n"
                            f"    expected: {frag['code']!r}\n    got:      {[c for _, c in defs]!r}")
        if "term" in frag and (not defs or any(term != frag["term"] for term, _ in defs)):
            failures.append(f"{where} · parameter name (TSPARM)\n    rule:     {frag['rule']}\n"
                            f"    expected: {frag['term']!r}\n    got:      {[t for t, _ in defs]!r}")
    return failures


def _ts_item(value: Any) -> dict[str, Any]:
    """A TS value as written in a case: plain text (no code expected), [submission value, C-code], or
    {nf: NULLFLAVOR} (TSVAL empty, TSVALNF the ISO 21090 null flavour)."""
    if isinstance(value, dict):
        return {"value": "", "code": None, "nf": value["nf"]}
    if isinstance(value, list):
        return {"value": str(value[0]), "code": value[1], "nf": None}
    return {"value": str(value), "code": None, "nf": None}


def case_failures(case: dict[str, Any], fmt: str) -> list[str]:
    """Every fragment of ``case`` for ``fmt`` that does not hold in the tool's output, as readable messages."""
    doc = output(case["case"], fmt)
    failures = []
    for frag in case.get(fmt) or []:
        if fmt.startswith("fhir"):
            msg = check(f"{case['case']} · {fmt}", frag, lambda p, doc=doc: fhir_path(doc, p), "at")
        else:
            version = fmt.split("-", 1)[1]
            msg = check(f"{case['case']} · {fmt}", frag, lambda p, doc=doc, v=version: odm_xpath(doc, v, p), "xpath")
        if msg:
            failures.append(msg)
    if fmt.startswith("odm"):
        failures += _ts_failures(case, fmt, doc)
    return failures


PARAMS = [pytest.param(c["case"], fmt, id=f"{c['case']}-{fmt}") for c in CASES for fmt in FORMATS
          if c.get(fmt) or (fmt.startswith("odm") and c.get("ts"))]


@pytest.mark.parametrize(("name", "fmt"), PARAMS)
def test_matrix(name: str, fmt: str) -> None:
    """Every fragment of the case holds in the output of this format; all failures are reported together."""
    failures = case_failures(BY_NAME[name], fmt)
    assert not failures, f"{len(failures)} fragment(s) differ:\n" + "\n".join(failures)


@pytest.mark.parametrize("fmt", FORMATS)
def test_matrix_catches_a_wrong_expectation(fmt: str) -> None:
    """The matrix can fail: one changed expected value per format is reported with case, format, path and values."""
    case = copy.deepcopy(BY_NAME["NCT00711542"])
    if fmt.startswith("odm"):
        case[fmt] = []
        case["ts"] = [{"param": "TPHASE", "code": "C48281", "equals": [["PHASE II TRIAL", "C15601"]], "rule": "mutant"}]
        want = ["NCT00711542", fmt, "TS TPHASE", "PHASE II TRIAL", "PHASE I/II TRIAL"]
    else:
        case[fmt] = [{"at": "ResearchStudy.phase.coding.code", "equals": ["phase-2"], "rule": "mutant"}]
        want = ["NCT00711542", fmt, "ResearchStudy.phase.coding.code", "'phase-2'", "'phase-1-phase-2'"]
    (message,) = case_failures(case, fmt)
    assert all(w in message for w in want), message


def test_matrix_covers_enough_shapes() -> None:
    """The matrix keeps at least 8 corpus records and a few model snippets, each with all four formats."""
    corpus = [c for c in CASES if "source" in c]
    snippets = [c for c in CASES if "model" in c]
    assert len(corpus) >= 8 and len(snippets) >= 2
    for c in CASES:
        missing = [f for f in FORMATS if not c.get(f) and not (f.startswith("odm") and c.get("ts"))]
        assert not missing, f"{c['case']}: no expectations for {missing}"


def test_case_shape_problems_are_reported() -> None:
    """A typo in a case (a split flow mapping, a misspelt key) stops the run instead of being ignored."""
    bad = {"case": "x", "source": "a", "model": {}, "fhir-r5": [{"at": "P", "equals": [], "rule": "r", "eqals": 1}],
           "ts": [{"param": "TPHASE", "cod": "C1", "equals": [], "rule": "r"}], "odm-2": []}
    assert case_shape_problems(bad, "y") == {
        "unknown key 'odm-2'", "fhir-r5: unknown key 'eqals'", "ts: unknown key 'cod'",
        "needs exactly one of source / model", "case must be 'y'"}
    assert not case_shape_problems(BY_NAME["NCT00711542"], "NCT00711542")
