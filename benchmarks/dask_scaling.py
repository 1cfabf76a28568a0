"""``convert --dask`` vs ``--jobs`` on the registry-like mix, and a projection for the whole registry (issue 17).

Not a test. Run: ``.venv/bin/python benchmarks/dask_scaling.py [--studies 300] [--seed 17] [--workers 2]``
(needs ``trialexport[dask]``).

The mix of :mod:`registry_mix` (``draw_mix``: corpus studies drawn by number of sites to an estimated registry share,
re-keyed) is written as NDJSON and converted ``--to all -o DIR`` by the CLI with ``--jobs 1``, ``--jobs N``,
``--dask local:N`` (a LocalCluster started by the command: its start-up is in the figure) and ``--dask tcp://...``
(a LocalCluster of N one-thread worker processes started beforehand by this script, as a cluster already running,
its workers warm: schemas and tables loaded),
the latter also with ``--dask-timeout 0``: what the limit per record costs (the client asks workers about a task only
once it has waited a quarter of the limit, at most 5 s).
Reported per run: wall seconds, studies per wall-second, and the CPU seconds of the command and its child processes
(``RUSAGE_CHILDREN``; for ``tcp://`` plus the CPU the workers report, ``time.process_time`` on each). Then the
CPU ms per study of ``--jobs 1`` projects the whole registry (:data:`REGISTRY` studies) onto N cores, assuming the
linear scaling a cluster of independent workers gives when each core converts its share (client and scheduler
overhead measured separately above).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from registry_mix import draw_mix, load_corpus, mix_parser

REGISTRY = 560_000  # studies on ClinicalTrials.gov (late 2026, rounded)
CORES = (1, 2, 8, 32, 128)


def run(exe: Path, src: Path, out: Path, extra: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (the command and its reaped children) of one ``convert --to all`` run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([str(exe), "convert", str(src), "--to", "all", "-o", str(out), "-q", *extra], check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main(argv: list[str]) -> int:
    ap = mix_parser(__doc__)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    from dask.distributed import Client, LocalCluster

    n = args.workers
    exe = Path(sys.executable).parent / "trialexport"
    mix = draw_mix(load_corpus(), args.studies, args.seed)
    with tempfile.TemporaryDirectory() as tmp, \
            LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        src = Path(tmp, "mix.ndjson")
        src.write_bytes(b"\n".join(mix) + b"\n")
        print(f"mix: {len(mix)} studies, --to all; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}\n")
        print("| run | wall s | studies/wall-s | CPU s (command + children) | of which the command (tcp: client) |\n"
              "|---|---|---|---|---|")
        from trialexport.formats.base import Options
        from trialexport.pipeline.batch import warm_up

        client.run(warm_up, ["fhir-r5", "fhir-r4", "odm-1.3.2", "odm-2.0"], Options())  # both tcp:// runs alike
        results = {}
        for label, extra in (("--jobs 1", ["--jobs", "1"]), (f"--jobs {n}", ["--jobs", str(n)]),
                             (f"--dask local:{n}", ["--dask", f"local:{n}"]),
                             (f"--dask tcp:// ({n} workers running)", ["--dask", cluster.scheduler_address]),
                             ("--dask tcp:// --dask-timeout 0 (no limit per record)",
                              ["--dask", cluster.scheduler_address, "--dask-timeout", "0"])):
            workers = sum(client.run(time.process_time).values())
            wall, cpu = run(exe, src, Path(tmp, f"out-{len(results)}"), extra)
            own = f"{cpu:.2f}" if "tcp" in label else "-"
            if "tcp" in label:
                cpu += sum(client.run(time.process_time).values()) - workers
            results[label] = (wall, cpu)
            print(f"| `{label}` | {wall:.2f} | {len(mix) / wall:.1f} | {cpu:.2f} | {own} |")
        ms = 1000 * results["--jobs 1"][1] / len(mix)
        print(f"\nCPU per study (--jobs 1, whole command incl. start-up): {ms:.1f} ms")
        print(f"whole registry ({REGISTRY:,} studies): {REGISTRY * ms / 3.6e6:.1f} CPU-hours; on N cores at linear "
              "scaling: " + ", ".join(f"{c} cores {REGISTRY * ms / 3.6e6 / c:.2f} h" for c in CORES))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
