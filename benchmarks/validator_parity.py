"""A longer verdict-parity campaign than the test suite runs: the default FHIR checks vs the fhir.resources models.

Usage: python benchmarks/validator_parity.py [--mutants N] [--studies all|NCT...]

Runs ``tests/test_validators_model_parity.py::test_every_mutant_the_models_reject_is_rejected`` (R5 and R4) on the
Bundles of the chosen corpus studies (default: all 45) with N random mutants each (default 300): wrong JSON types,
deleted or emptied elements, bad codes and dates, unknown elements, a second type of a choice element, ... It
fails if any mutant the fhir.resources models reject passes ``validate_fhir``, and prints the verdict counts.
Not a test (takes minutes).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mutants", type=int, default=300, help="mutants per Bundle (default 300)")
    ap.add_argument("--studies", default="all", help="'all' or NCT ids separated by spaces")
    args = ap.parse_args()
    studies = args.studies
    if studies == "all":
        studies = " ".join(sorted(p.stem for p in (ROOT / "tests" / "data" / "ctgov-v2").glob("*.json")))
    os.environ["TRIALEXPORT_PARITY_STUDIES"] = studies
    os.environ["TRIALEXPORT_PARITY_MUTANTS"] = str(args.mutants)
    test = ROOT / "tests" / "test_validators_model_parity.py::test_every_mutant_the_models_reject_is_rejected"
    return pytest.main(["-q", "-s", "-p", "no:cacheprovider", str(test)])


if __name__ == "__main__":
    sys.exit(main())
