"""Shared test helpers: the project's own copies of the corpus and the seed page."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

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


@pytest.fixture(scope="session")
def all_trials(corpus_trials):
    """Every corpus trial and the seed study page's: {id or "seed-page": Trial}."""
    from trialexport.readers import read_path

    trials = {name: res.trial for name, res in corpus_trials.items()}
    (seed,) = list(read_path(SEED_PAGE))
    trials["seed-page"] = seed.trial
    return trials


@pytest.fixture(scope="session")
def refresh() -> ModuleType:
    """``scripts/refresh_schemas.py`` imported as a module."""
    spec = importlib.util.spec_from_file_location("refresh_schemas", ROOT / "scripts" / "refresh_schemas.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered while it executes
    spec.loader.exec_module(module)
    return module
