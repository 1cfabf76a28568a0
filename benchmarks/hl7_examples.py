"""Validate HL7's official FHIR example packages with ``trialexport validate`` and report the invalid share.

Downloads ``hl7.fhir.r4.examples`` 4.0.1 and ``hl7.fhir.r5.examples`` 5.0.0 with ``npm pack`` (or uses the
tarballs already in ``--cache``), unpacks them and runs, exactly as a user would::

    trialexport validate --fhir-version r4 --format json <package folder>
    trialexport validate --fhir-version r5 --format json <package folder>

then prints files / valid / invalid / skipped, the invalid share, the time taken and every invalid file with its
first error. Issue 14 asks for at most 1% invalid files, each a genuine defect of that example.

    python benchmarks/hl7_examples.py [--cache DIR] [--only r4|r5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

PACKAGES = {"r4": "hl7.fhir.r4.examples@4.0.1", "r5": "hl7.fhir.r5.examples@5.0.0"}


def tarball(spec: str, cache: Path) -> Path:
    name, version = spec.split("@")
    path = cache / f"{name}-{version}.tgz"
    if not path.exists():
        subprocess.run(["npm", "pack", spec, "--silent"], cwd=cache, check=True, stdout=subprocess.DEVNULL)
    return path


def measure(version: str, cache: Path, work: Path) -> dict:
    folder = work / version
    with tarfile.open(tarball(PACKAGES[version], cache)) as tf:
        tf.extractall(folder, filter="data")
    package = folder / "package"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "trialexport", "validate", "--fhir-version", version, "--format",
                           "json", str(package)], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    report = json.loads(proc.stdout)
    invalid = [(Path(r["file"]).name, next(f for f in r["findings"] if f["severity"] == "error"))
               for r in report["results"] if r["status"] == "invalid"]
    return {"version": version, "package": PACKAGES[version], "files": report["files"], "valid": report["valid"],
            "invalid": report["invalid"], "skipped": report["skipped"], "seconds": seconds, "list": invalid}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=None, help="folder for the npm tarballs (kept)")
    parser.add_argument("--only", choices=sorted(PACKAGES), default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or Path(tmp)
        cache.mkdir(parents=True, exist_ok=True)
        worst = 0.0
        for version in [args.only] if args.only else sorted(PACKAGES, reverse=True):
            r = measure(version, cache, Path(tmp))
            share = 100 * r["invalid"] / r["files"]
            worst = max(worst, share)
            print(f"{r['package']}: {r['files']} files, {r['valid']} valid, {r['invalid']} invalid ({share:.2f}%), "
                  f"{r['skipped']} skipped, {r['seconds']:.1f} s")
            for name, finding in r["list"]:
                print(f"  {name}: {finding['code']} {finding.get('path', '')}: {finding['message'][:110]}")
    return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
