"""Registry-scale benchmark: per-study stage costs, end-to-end studies/s, peak RSS and the floor.

Usage (from a fresh clone, after `pip install '.[test]'`):

    python benchmarks/bulk.py                 # 1k and 20k synthesised studies, --jobs 1 and 2
    python benchmarks/bulk.py --sizes 1000    # quicker

What it reports (not a test; numbers depend on the machine):
1. per-study cost of each stage on the corpus (median ms): read, map+serialize and validate per
   format (from benchmarks/convert_cost.py);
2. end to end `trialexport convert <zip> --to all -o DIR` on inputs synthesised by re-keying the
   corpus records with new NCT ids (a zip of one JSON file per study, like the registry's bulk
   download), with --jobs 1 and --jobs 2: studies/s, ms/study, peak RSS of the run;
3. the floor: orjson parse of the input + orjson dump of the JSON outputs, per study, and the
   ratio end-to-end / floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT / "tests" / "data" / "ctgov-v2").glob("*.json"))


def synthesise(n: int, path: Path) -> None:
    """A zip of ``n`` studies: corpus records in turn, each with a new NCT id."""
    records = [orjson.loads(p.read_bytes()) for p in CORPUS]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(n):
            study = records[i % len(records)]
            nct = f"NCT9{i:07d}"
            study["protocolSection"]["identificationModule"]["nctId"] = nct
            zf.writestr(f"ctg-studies/{nct}.json", orjson.dumps(study))


def run_convert(src: Path, jobs: int, extra: tuple[str, ...] = ()) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB, largest process of the run) and exit code of one conversion."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "trialexport", "convert", str(src), "--to", "all", "-o", out, "-q",
               "--jobs", str(jobs), *extra]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        children = _children_peak()
    rss = max(usage.ru_maxrss, children) / 1024
    return wall, rss, os.waitstatus_to_exitcode(status)


def _children_peak() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def per_study() -> dict[str, list[float]]:
    """Per corpus study, in ms: the floor, and read + every format with full validation (without/with the
    fhir.resources second opinion, ``--model-check``).

    The floor is what any converter must pay: orjson parse of the input + orjson dump of the JSON outputs
    (the XML outputs count as bytes already made).
    """
    from trialexport.formats.base import Options
    from trialexport.formats.registry import EXPORTS as ALL_EXPORTS
    from trialexport.formats.registry import get as get_format
    from trialexport.readers import read_path

    out: dict[str, list[float]] = {"floor": [], "full": [], "full + --model-check": []}
    list(read_path(CORPUS[0]))
    for t in ALL_EXPORTS:  # warm schema caches
        get_format(t).write(next(iter(read_path(CORPUS[0]))).trial, Options())
    for path in CORPUS:
        raw = path.read_bytes()
        for key, options in (("full", Options()), ("full + --model-check", Options(model_check=True))):
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                (res,) = list(read_path(path))
                outputs = [get_format(t).write(res.trial, options) for t in ALL_EXPORTS]
                best = min(best, time.perf_counter() - start)
            assert all(o.ok for o in outputs), path
            out[key].append(1000 * best)
        docs = [orjson.loads(o.data) for t, o in zip(ALL_EXPORTS, outputs, strict=True) if "fhir" in t]
        start = time.perf_counter()
        orjson.loads(raw)
        for doc in docs:
            orjson.dumps(doc)
        out["floor"].append(1000 * (time.perf_counter() - start))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,20000", help="comma-separated numbers of synthesised studies")
    ap.add_argument("--jobs", default="1,2", help="comma-separated --jobs values")
    ap.add_argument("--model-check", action="store_true",
                    help="pass --model-check (also parse FHIR output with the fhir.resources models)")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import convert_cost

    print("## Stage costs on the corpus (median ms per study)\n")
    convert_cost.main([])
    from trialexport.readers import read_path

    read = []
    for path in CORPUS:
        start = time.perf_counter()
        list(read_path(path))
        read.append(time.perf_counter() - start)
    print(f"\nread (parse + model): {1000 * statistics.median(read):.2f} ms/study (median)\n")
    costs = per_study()
    print("## One study, one core, in process: read + all four formats, every output validated\n")
    print(f"{'':32} {'median ms':>10} {'mean ms':>10} {'median / floor':>15}")
    floor_med, floor_mean = statistics.median(costs["floor"]), statistics.mean(costs["floor"])
    for key in ("floor", "full", "full + --model-check"):
        med, mean = statistics.median(costs[key]), statistics.mean(costs[key])
        print(f"{key:32} {med:>10.2f} {mean:>10.2f} {med / floor_med:>15.0f}")
    floor = floor_mean  # the synthesised inputs cycle through the corpus: compare means
    print()
    print("## End to end: trialexport convert <zip> --to all (every output validated)\n")
    print(f"{'studies':>8} {'jobs':>4} {'seconds':>8} {'studies/s':>10} {'ms/study':>9} {'peak RSS MiB':>13} "
          f"{'e2e/floor':>9}")
    print("(e2e/floor: mean ms/study of the run x jobs / mean floor of the corpus studies)")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.sizes.split(",")):
            src = Path(tmp) / f"synth-{n}.zip"
            synthesise(n, src)
            rates = {}
            for jobs in (int(x) for x in args.jobs.split(",")):
                wall, rss, code = run_convert(src, jobs, ("--model-check",) if args.model_check else ())
                per = 1000 * wall / n
                rates[jobs] = n / wall
                flag = "" if code == 0 else f"  (exit {code})"
                print(f"{n:>8} {jobs:>4} {wall:>8.1f} {n / wall:>10.1f} {per:>9.2f} {rss:>13.0f} "
                      f"{per * jobs / floor:>9.0f}{flag}")
            if 1 in rates and 2 in rates:
                print(f"{'':>8} speed-up --jobs 2 / --jobs 1: {rates[2] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
