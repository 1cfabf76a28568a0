"""Per-study cost of each output target over the corpus: map+serialize vs validation (median ms).

Not a test. Run: ``.venv/bin/python benchmarks/convert_cost.py [files...]`` (default: tests/data/ctgov-v2/*.json).
For FHIR the validation is what every conversion runs (official JSON schema, required/choice elements, required
bindings, references); the optional fhir.resources model parse (``--model-check``) is shown apart. For other targets
it is ``writer(validate=True) - writer(validate=False)``, timed back to back per study.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _ms(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def main(argv: list[str]) -> int:
    from trialexport.formats.base import Options
    from trialexport.formats.registry import NAMES as TARGETS
    from trialexport.formats.registry import get as get_format
    from trialexport.readers import read_path

    files = argv or sorted(str(p) for p in (ROOT / "tests" / "data" / "ctgov-v2").glob("*.json"))
    trials = [r.trial for f in files for r in read_path(f) if r.trial is not None]
    print(f"{len(trials)} studies; median ms per study (best of 3 runs each)\n")
    rows: list[tuple[str, ...]] = []
    for target in TARGETS:
        try:
            write = get_format(target).write
        except (ImportError, AttributeError) as exc:
            rows.append((target, "-", "-", "-", f"not importable: {exc.__class__.__name__}"))
            continue
        if target.startswith("fhir-"):
            from trialexport.formats.fhir.bundle import map_bundle, serialize
            from trialexport.formats.fhir.validation import validate_fhir, validate_fhir_models

            version = target[5:]
            bundles = [map_bundle(t, version)[0] for t in trials]
            for b in bundles[:2]:  # warm the schema / model caches
                validate_fhir(b, version)
                validate_fhir_models(b, version)
            mapping = [_ms(lambda t=t, v=version: serialize(map_bundle(t, v)[0])) for t in trials]
            schema = [_ms(lambda b=b, v=version: validate_fhir(b, v)) for b in bundles]
            models = [_ms(lambda b=b, v=version: validate_fhir_models(b, v)) for b in bundles]
            m, s, d = (statistics.median(x) for x in (mapping, schema, models))
            rows.append((target, f"{m:.2f}", f"{s:.2f}", f"--model-check adds {d:.2f}", ""))
            continue
        try:
            write(trials[0], Options(validate=True))
        except Exception as exc:  # a writer still being built
            rows.append((target, "-", "-", "-", f"failed: {exc!r}"[:60]))
            continue
        plain, extra = [], []
        for t in trials:  # both modes back to back per study: the difference is the validation of that study
            p = _ms(lambda t=t, w=write: w(t, Options(validate=False)))
            f = _ms(lambda t=t, w=write: w(t, Options(validate=True)))
            plain.append(p)
            extra.append(max(f - p, 0.0))
        rows.append((target, f"{statistics.median(plain):.2f}", f"{statistics.median(extra):.2f}", "", ""))
    head = ("target", "map+serialize", "validation", "optional", "note")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
