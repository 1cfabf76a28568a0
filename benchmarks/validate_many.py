"""Validating many files in one call: total cost vs the per-file validation work (schemas compiled once).

Usage: python benchmarks/validate_many.py [--files 1000]

Copies the fixture outputs (every format) round-robin into a temporary folder until it holds N
files, then compares (a) one `trialexport validate DIR` process over all of them with (b) the sum,
over the same files, of the warm in-process cost of validating each one (`validate_file`, schemas
already compiled). The ratio (a)/(b) says what one call adds on top of the validation work itself
(start-up, schema compilation, file I/O, output). Not a test.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    args = ap.parse_args()
    from trialexport.validate_files import validate_file

    sources = sorted(p for p in (ROOT / "fixtures" / "expected").rglob("*.*") if "model" not in p.name)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = []
        for i in range(args.files):
            src = sources[i % len(sources)]
            dst = folder / f"{i:05d}-{src.name}"
            shutil.copyfile(src, dst)
            files.append(dst)
        for path in sources:  # warm every schema and cache once
            validate_file(str(path))
        start = time.perf_counter()
        for path in files:
            assert validate_file(str(path)).status == "valid", path
        work = time.perf_counter() - start
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "trialexport", "validate", str(folder)], capture_output=True,
                              text=True, check=False)
        total = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout[-2000:]
    print(f"{args.files} files ({len(sources)} distinct fixture outputs: FHIR R5/R4, ODM 1.3.2/2.0)")
    print(f"per-file validation work (warm, in-process): {1000 * work / args.files:.2f} ms/file, {work:.1f} s total")
    print(f"one `trialexport validate DIR` call:          {1000 * total / args.files:.2f} ms/file, {total:.1f} s total")
    print(f"ratio call / work: {total / work:.2f}x")


if __name__ == "__main__":
    main()
