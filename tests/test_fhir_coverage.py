"""FHIR mapping tables: nothing dropped silently, every row well-formed, docs/mapping.md current."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEED_PAGE

from trialexport.formats.base import Options
from trialexport.formats.fhir import VERSIONS
from trialexport.formats.fhir.mapping import tables
from trialexport.formats.fhir.mapping.transforms import TRANSFORMS
from trialexport.formats.registry import find
from trialexport.mapkit.coverage import populated_leaves


@pytest.mark.parametrize("version", VERSIONS)
def test_no_silent_drop(corpus_trials, version):
    from trialexport.readers import read_path

    trials = [res.trial for res in corpus_trials.values()] + [r.trial for r in read_path(SEED_PAGE)]
    silent = {}
    for trial in trials:
        cov = find("fhir", version).write(trial, Options(validate=False)).coverage
        assert cov is not None
        leaves = populated_leaves(trial)
        assert set(cov.mapped) | {k for k in cov.not_carried if not k.startswith("extras.")} == set(leaves)
        for path, reason in cov.not_carried.items():
            if not reason or reason == "no mapping row for this field":
                silent.setdefault(path, trial.study_id)
    assert silent == {}


@pytest.mark.parametrize("version", VERSIONS)
def test_rows_are_well_formed(version):
    kinds = tables.kinds()
    ids = set()
    for row in tables.rows(version):
        assert row.transform in TRANSFORMS, row.id
        assert row.target.kind in kinds, row.id
        assert row.target.extension is None or row.target.extension in tables.extensions(), row.id
        free = row.transform in ("const", "const_bool", "outcome", "goal") or row.codes.isupper()
        assert not row.codes or free or row.codes in tables.codes(), row.id
        assert (row.table, row.id) not in ids
        ids.add((row.table, row.id))
    for path in tables.not_carried(version):
        assert path not in tables.source_paths(version), f"{path} is both mapped and listed as not carried"


def test_mapping_doc_is_current():
    from trialexport.devtools.generated import generate_all
    from trialexport.devtools.mapping_docs import mapping_markdown

    text = mapping_markdown()
    for name in ("fhir/researchstudy.csv", "fhir/not-carried.csv", "crosswalks/phase.csv", "readers/ctgov-v2.csv"):
        assert f"### {name}" in text
    assert text.startswith("<!-- generated from mappings/")
    assert generate_all(check=True, root=Path(__file__).resolve().parent.parent) == []
