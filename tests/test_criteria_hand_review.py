"""The criteria parser against the split counted by hand on every criteria text the project carries.

Expectations: tests/data/criteria/hand-review.tsv (see the README beside it for how they were obtained).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import ROOT
from lxml import etree

from trialexport.readers import read_path
from trialexport.readers.criteria import parse_criteria

TABLE = ROOT / "tests" / "data" / "criteria" / "hand-review.tsv"
ROWS = list(csv.DictReader(TABLE.open(encoding="utf-8"), delimiter="\t"))


def _split(row: dict[str, str]) -> tuple[list[tuple[str, str | None]], bool]:
    """(kind, group) per criterion, and whether a READ-CRITERIA warning was given."""
    path = ROOT / row["file"]
    if row["reader"] == "textblock":
        (text,) = etree.parse(str(path)).xpath("//eligibility/criteria/textblock/text()")
        crit, notes = parse_criteria(text)
        return [(c["kind"], c.get("group")) for c in crit], any(n.severity == "warning" for n in notes)
    (res,) = list(read_path(path))
    assert res.trial is not None
    warned = any(d.code == "READ-CRITERIA" and d.severity == "warning" for d in res.diagnostics)
    return [(c.kind, c.group) for c in res.trial.eligibility.criteria], warned


def _counts(split: list[tuple[str, str | None]]) -> tuple[int, int, set[str]]:
    return (sum(k == "inclusion" for k, _ in split), sum(k == "exclusion" for k, _ in split),
            {g for _, g in split if g})


def test_table_covers_every_criteria_text_the_project_carries():
    files = {row["file"] for row in ROWS}
    v2 = {f"tests/data/ctgov-v2/{p.name}" for p in (ROOT / "tests" / "data" / "ctgov-v2").glob("*.json")}
    xml = {f"tests/data/ctgov-xml/{p.name}" for p in (ROOT / "tests" / "data" / "ctgov-xml").glob("*.xml")
           if etree.parse(str(p)).xpath("//eligibility/criteria/textblock/text()")}
    pages = {f"tests/data/study-pages/{p.name}" for p in (ROOT / "tests" / "data" / "study-pages").glob("*.txt")}
    assert v2 | xml | pages | {"fixtures/NCT04318600.txt"} <= files
    assert len(v2) == 45 and len(xml) == 14 and len(ROWS) >= 30
    assert all(row["parser"] in ("agrees", "differs") and row["warning"] in ("yes", "no") for row in ROWS)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: Path(r["file"]).stem)
def test_parser_matches_the_hand_count(row):
    split, warned = _split(row)
    expected = (int(row["inclusion"]), int(row["exclusion"]), {g for g in row["groups"].split(" | ") if g})
    if row["parser"] == "agrees":
        assert _counts(split) == expected, row["notes"]
    else:  # a known disagreement: it must still be visible to the user as a warning
        assert _counts(split) != expected, "the parser now agrees: mark the row 'agrees'"
        assert warned, row["notes"]
    assert warned == (row["warning"] == "yes"), row["notes"]
