"""Throughput of ``trialexport push`` and ``trialexport fetch`` against the local servers. Not a test.

Usage: python benchmarks/push_throughput.py [--repeat N] [--generated N]

push: every corpus record (tests/data/ctgov-v2) converted to R4 transaction Bundles, then pushed with
``--max-entries 50`` to the local FHIR engine (tools/fhir-server: Medplum fhir-router, in-memory, validating;
``npm ci --prefix tools/fhir-server`` first), a first load and N repeats (PUT of the same ids); Bundles/s and
resources (entries)/s, wall time of the whole command.
fetch: the 45 corpus records by NCT id, and a paged query of N generated studies, from the registry API replay
(tests/ctgov_replay.py) with ``--rate 0``; studies/s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "ctgov-v2"


def trialexport(*args: object) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    start = time.perf_counter()
    ran = subprocess.run([sys.executable, "-m", "trialexport", *map(str, args)], capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if ran.returncode != 0:
        raise SystemExit(f"trialexport {' '.join(map(str, args))} exited {ran.returncode}: "
                         f"{ran.stderr.decode(errors='replace')[-1000:]}")
    return elapsed, ran


def bench_push(work: Path, repeat: int) -> None:
    from fhir_engine import running

    out = work / "r4"
    trialexport("convert", CORPUS, "--to", "fhir-r4", "--bundle", "transaction", "-o", out, "-q")
    with running() as engine:
        for n in range(repeat + 1):
            elapsed, ran = trialexport("push", out, "--server", engine.base, "--max-entries", 50, "--format", "json")
            report = json.loads(ran.stdout)
            entries = sum(r["entries"] for r in report["results"])
            label = "first load" if n == 0 else f"repeat {n}"
            print(f"push {label}: {report['bundles']} Bundles, {entries} resources in {elapsed:.2f} s = "
                  f"{report['bundles'] / elapsed:.1f} Bundles/s, {entries / elapsed:.0f} resources/s")


def bench_fetch(work: Path, generated: int) -> None:
    from ctgov_replay import Replay

    server = Replay()
    try:
        ids = sorted(p.stem for p in CORPUS.glob("*.json"))
        elapsed, _ = trialexport("fetch", *ids, "--rate", 0, "--api-url", f"{server.url}/api/v2", "-o", work / "ids",
                                 "-q")
        print(f"fetch by id: {len(ids)} studies in {elapsed:.2f} s = {len(ids) / elapsed:.1f} studies/s")
        elapsed, _ = trialexport("fetch", "--query", generated, "--rate", 0, "--page-size", 1000,
                                 "--api-url", f"{server.url}/gen/api/v2", "-o", work / "query", "-q")
        print(f"fetch paged query: {generated} studies in {elapsed:.2f} s = {generated / elapsed:.0f} studies/s")
    finally:
        server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2, help="pushes of the same files after the first load")
    ap.add_argument("--generated", type=int, default=10000, help="studies in the generated paged query")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    with tempfile.TemporaryDirectory() as tmp:
        bench_push(Path(tmp), args.repeat)
        bench_fetch(Path(tmp), args.generated)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
