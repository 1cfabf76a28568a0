"""Shared test helpers: the project's own copies of the corpus and the seed page."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
CORPUS = sorted((DATA / "ctgov-v2").glob("*.json"))
SEED_PAGE = ROOT / "fixtures" / "NCT04318600.txt"


@pytest.fixture(scope="session")
def corpus_trials():
    """Every corpus record read once: {nct_id: ReadResult}."""
    from trialexport.readers import read_path

    out = {}
    for path in CORPUS:
        (res,) = list(read_path(path))
        out[path.stem] = res
    return out
