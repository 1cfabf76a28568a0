"""Shortcuts of the FHIR mapping engine give the answers of the slow paths they stand in for."""

from __future__ import annotations

import uuid

import pytest

from trialexport.formats.fhir.mapping.engine import _R4_SPACE, _needs_cleaning, uuid5_urn
from trialexport.mapkit.textclean import FORBIDDEN

NAMES = ["", "https://clinicaltrials.gov/study/NCT04318600/ResearchStudy/nct04318600",
         "https://clinicaltrials.gov/study/X/Location/x-site-3", "é€😀 spaces\tand\nlines"]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_uuid5_urn_is_uuid5(name: str) -> None:
    assert uuid5_urn(name) == f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


@pytest.mark.parametrize("version", ["r5", "r4"])
def test_needs_cleaning_never_misses_a_character(version: str) -> None:
    """Every character _clean_text replaces (forbidden everywhere; R4: odd whitespace) triggers the walk."""
    for code in range(0x10000):
        c = chr(code)
        if FORBIDDEN.search(c) or (version == "r4" and _R4_SPACE.search(c)):
            assert _needs_cleaning({"a": {"b": ["ok", f"x{c}y"]}, "n": 1}, version), (version, hex(code))


def test_needs_cleaning_passes_plain_text() -> None:
    data = {"title": 'A "quoted" title\nwith lines\tand tabs, é and €', "n": [1, 2.5, True, None]}
    assert not _needs_cleaning(data, "r5")
    assert not _needs_cleaning(data, "r4")
    assert _needs_cleaning({"t": "no\u00a0break"}, "r4") and not _needs_cleaning({"t": "no\u00a0break"}, "r5")
