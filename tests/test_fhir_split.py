"""Issue 12 item 19: server-ready Bundles. ``--bundle batch`` and ``--max-entries N`` (a study's transaction or batch
Bundle cut into parts a server loads in order, every reference resolvable when it is met).

The checks here simulate what a FHIR server does with the parts (FHIR "Resolving references in Bundles"): inside a
transaction, ``urn:uuid:`` references resolve to entries of the same Bundle; a relative ``Type/id`` reference
resolves against what the server already holds, i.e. what earlier parts PUT. Nothing is computed from the
mapping tables: the expectations are the unsplit Bundle of the same record and the rules of the specification.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, cli

from trialexport.formats.base import Options
from trialexport.formats.fhir.split import split, unresolved_across
from trialexport.formats.registry import get
from trialexport.readers import read_path

LIMIT = 50


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return ([node["reference"]] if isinstance(node.get("reference"), str) else []) + \
            [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _load_in_order(parts: list[dict[str, Any]]) -> list[str]:
    """What a server loading the parts in order could not resolve (empty: every reference resolves)."""
    held: set[str] = set()
    problems = []
    for k, part in enumerate(parts, start=1):
        here_urls = {e["fullUrl"] for e in part["entry"]}
        held |= {e["request"]["url"] for e in part["entry"]}  # PUT Type/id: the server holds it from this part on
        for entry in part["entry"]:
            for ref in _refs(entry["resource"]):
                if ref.startswith("urn:uuid:") and ref not in here_urls:
                    problems.append(f"part {k}: {ref} is a urn:uuid of another Bundle")
                elif not ref.startswith("urn:") and ref not in held:
                    problems.append(f"part {k}: {ref} not loaded yet")
    return problems


def _without_refs(resource: dict[str, Any]) -> str:
    """A resource with its references blanked: what must be the same whichever form a reference takes."""
    text = json.dumps(resource, sort_keys=True)
    for ref in set(_refs(resource)):
        text = text.replace(json.dumps(ref), '"REF"')
    return text


BIG = [p for p in CORPUS if p.stem in {"NCT05097287", "NCT06742723", "NCT05170204", "NCT03067181"}]


@pytest.mark.parametrize("path", BIG, ids=lambda p: p.stem)
@pytest.mark.parametrize("target", ["fhir-r4", "fhir-r5"])
def test_parts_never_exceed_the_limit_and_load_in_order(path: Path, target: str) -> None:
    (res,) = list(read_path(path))
    fmt = get(target)
    whole = json.loads(fmt.write(res.trial, Options(bundle_type="transaction")).data)
    out = fmt.write(res.trial, Options(bundle_type="transaction", max_entries=LIMIT))
    assert out.ok, [d.format_text() for d in out.diagnostics if d.is_error]
    parts = [json.loads(b) for b in [out.data, *out.parts]]
    assert len(whole["entry"]) > LIMIT and len(parts) == -(-len(whole["entry"]) // LIMIT)
    assert all(len(p["entry"]) <= LIMIT and p["type"] == "transaction" for p in parts)
    assert _load_in_order(parts) == []
    # every resource once, the same but for the form of its references; the study itself in the last part
    split_resources = sorted(_without_refs(e["resource"]) for p in parts for e in p["entry"])
    assert split_resources == sorted(_without_refs(e["resource"]) for e in whole["entry"])
    assert parts[-1]["entry"][-1]["resource"]["resourceType"] == "ResearchStudy"
    assert [p["id"] for p in parts] == [whole["id"]] + [f"{whole['id']}-part-{k}" for k in range(2, len(parts) + 1)]


def test_a_part_order_that_would_not_load_is_an_error(all_trials) -> None:
    from trialexport.formats.fhir.bundle import map_bundle

    bundle, _ = map_bundle(all_trials["NCT05097287"], "r4", "transaction")
    parts = split(bundle, LIMIT)
    assert unresolved_across(parts) == []
    found = unresolved_across(list(reversed(parts)))
    assert found and {d.code for d in found} == {"FHIR-SPLIT-ORDER"}
    assert _load_in_order(list(reversed(parts)))  # the simulated server agrees


@pytest.mark.parametrize("target", ["fhir-r4", "fhir-r5"])
def test_a_batch_bundle_references_by_type_and_id(all_trials, target: str) -> None:
    """Batch entries are processed independently: no entry may depend on another's fullUrl."""
    out = get(target).write(all_trials["NCT05097287"], Options(bundle_type="batch"))
    assert out.ok
    bundle = json.loads(out.data)
    assert bundle["type"] == "batch"
    refs = [r for e in bundle["entry"] for r in _refs(e["resource"])]
    assert refs and not [r for r in refs if r.startswith("urn:")]
    assert {e["request"]["method"] for e in bundle["entry"]} == {"PUT"}
    assert _load_in_order([bundle]) == []


def test_cli_writes_parts_that_read_back_as_the_whole_study(tmp_path: Path) -> None:
    record = next(p for p in CORPUS if p.stem == "NCT05097287")  # 240 sites: 246 entries
    ran = cli("convert", record, "--to", "fhir-r4", "--bundle", "transaction", "--max-entries", LIMIT,
              "-o", tmp_path / "split")
    assert ran.returncode == 0, ran.stderr
    names = sorted(p.name for p in (tmp_path / "split").iterdir() if not p.name.startswith("."))
    assert names == ["NCT05097287.fhir-r4.json"] + [f"NCT05097287.fhir-r4.part-{k}.json" for k in range(2, 6)]
    assert "fhir-r4 5" in ran.stderr  # five files of that format
    assert cli("validate", tmp_path / "split").returncode == 0
    cli("convert", record, "--to", "fhir-r4", "-o", tmp_path / "whole")
    back_split = cli("convert", tmp_path / "split", "--to", "model", "-o", "-")
    back_whole = cli("convert", tmp_path / "whole", "--to", "model", "-o", "-")
    assert back_split.returncode == 0 and back_split.stdout == back_whole.stdout
    assert back_split.stdout.count('"facility"') == 240


def test_max_entries_needs_a_bundle_a_server_loads(tmp_path: Path) -> None:
    ran = cli("convert", CORPUS[0], "--to", "fhir-r4", "--max-entries", 50, "-o", tmp_path)
    assert ran.returncode == 2 and "--bundle transaction or batch" in ran.stderr
