"""A/B: the ODM outputs with identity constraints decided on the emitter's record, or by libxml2 (issue 17).

Not a test. Run: ``.venv/bin/python benchmarks/ab_odm_identity.py [--studies 300] [--seed 17] [--repeat 4]``.

Both ODM versions of each study of the registry-like mix (:mod:`registry_mix`) are read, mapped, written and
validated as ``convert --to odm-1.3.2 --to odm-2.0`` does; the passes alternate between the converter as it is
(``new``: structure against the schema without identity constraints, the constraints on the emitter's record) and
the converter with the record check switched off (``old``: every document goes to the full schema, as before).
Reported: the best CPU time (``time.process_time``) of each, in ms per study.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import registry_mix

from trialexport.formats.odm import identity, validation


def main(argv: list[str]) -> int:
    args = registry_mix.mix_parser(__doc__, repeat=4).parse_args(argv)
    mix = registry_mix.draw_mix(registry_mix.load_corpus(), args.studies, args.seed)
    run = registry_mix.converter(["odm-1.3.2", "odm-2.0"])
    registry_mix.cpu_ms(run, mix[:30])  # warm-up: schemas compiled, tables loaded
    ways = {"new": identity.hold, "old": lambda record, version: False}  # False: "not decided", full schema
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(args.repeat):
        for name, hold in ways.items():
            validation.identity.hold = hold  # type: ignore[assignment]
            best[name] = min(best[name], registry_mix.cpu_ms(run, mix) / len(mix))
    validation.identity.hold = ways["new"]  # type: ignore[assignment]
    best["saved"] = best["old"] - best["new"]
    title = f"both ODM versions, {len(mix)} studies, CPU ms per study (best of {args.repeat}):"
    registry_mix.print_figures(title, best)
    return 0

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
