"""Reading speed on the project's corpus: records per second and ms per record, per reader.

Usage: python benchmarks/read_corpus.py [--repeat N]

Reads every tests/data/ctgov-v2/*.json record (one file each), the same records as one
NDJSON stream, and the seed study page, N times, and prints the medians. Not a test.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import orjson

from trialexport.readers import read_path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT / "tests" / "data" / "ctgov-v2").glob("*.json"))


def _time(paths: list[Path], repeat: int) -> tuple[float, int]:
    runs = []
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = sum(1 for p in paths for r in read_path(p) if r.ok)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    list(read_path(CORPUS[0]))  # warm caches (tables, compiled paths)
    floor_runs = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        for p in CORPUS:
            orjson.loads(p.read_bytes())
        floor_runs.append(time.perf_counter() - start)
    floor = statistics.median(floor_runs)
    with tempfile.TemporaryDirectory() as tmp:
        nd = Path(tmp) / "corpus.ndjson"
        nd.write_bytes(b"\n".join(orjson.dumps(orjson.loads(p.read_bytes())) for p in CORPUS) + b"\n")
        rows = [
            ("ctgov JSON, one file per study", *_time(CORPUS, args.repeat)),
            ("ctgov NDJSON stream", *_time([nd], args.repeat)),
            ("study page text (seed)", *_time([ROOT / "fixtures" / "NCT04318600.txt"], args.repeat)),
        ]
    print(f"{'reader':34} {'records':>8} {'records/s':>10} {'ms/record':>10}")
    for name, secs, count in rows:
        print(f"{name:34} {count:>8} {count / secs:>10.0f} {1000 * secs / count:>10.3f}")
    print(f"floor (orjson.loads of the corpus files): {1000 * floor / len(CORPUS):.3f} ms/record; "
          f"reader / floor = {rows[0][1] / floor:.1f}x")


if __name__ == "__main__":
    main()
