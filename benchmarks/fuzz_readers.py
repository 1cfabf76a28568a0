"""A longer fuzzing run of the readers and ``trialexport validate`` than the test suite does. Not a test.

Usage: python benchmarks/fuzz_readers.py [--examples N] [--seed S]

Runs the properties of ``tests/test_fuzz_readers.py`` (arbitrary bytes, plausible prefixes, mutated corpus
records, mutated NDJSON/pages) with N examples each (default 2000). A failure prints the shrunk input and
exits 1; a clean run prints the time per property.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from hypothesis import seed

ROOT = Path(__file__).resolve().parent.parent
PROPERTIES = ("test_arbitrary_bytes_never_raise", "test_plausible_prefixes_never_raise",
              "test_mutated_records_never_raise", "test_mutated_ndjson_and_pages_never_raise")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=2000, help="examples per property")
    ap.add_argument("--seed", type=int, default=None, help="fixed seed (default: random)")
    args = ap.parse_args()
    os.environ["TRIALEXPORT_FUZZ_EXAMPLES"] = str(args.examples)
    sys.path.insert(0, str(ROOT / "tests"))
    import test_fuzz_readers as fuzz  # the tests' strategies, checks and settings (read the variable above)

    failed = 0
    for name in PROPERTIES:
        test = getattr(fuzz, name)
        if args.seed is not None:
            test = seed(args.seed)(test)
        start = time.perf_counter()
        try:
            test()
        except Exception as exc:  # report and go on with the other properties
            failed += 1
            print(f"FAIL {name}: {exc!r}", file=sys.stderr)
            continue
        print(f"ok   {name}: {args.examples} examples in {time.perf_counter() - start:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
