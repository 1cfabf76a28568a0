"""Where the CPU of the two ODM outputs goes, stage by stage, on the registry-like mix (issue 17).

Not a test. Run: ``.venv/bin/python benchmarks/odm_stages.py [--studies 300] [--seed 17] [--repeat 5]``.

Each study of the mix (:mod:`registry_mix`) is read once; then, inside the record's scope (as the pipeline runs it,
so ODM 2.0 reuses what 1.3.2 shares), each version is mapped, written, serialized and validated with the same
functions the converter calls, and the CPU time (``time.process_time``) of each stage is added up. Each stage's
figure is its best of ``--repeat`` passes over the mix, in ms per study:

- ``context``: the mapping context (the trial's data); ``mapping``: the rows of ``mappings/odm`` filling the plan;
- ``spec``: the EDC shell (items, code lists, events); ``write``: the serializer emitting the elements;
- ``serialize``: joining the text; ``parse`` and ``xsd``: libxml2 with the schema without identity constraints (the
  floor while every rule is kept); ``identity``: those constraints, decided on the emitter's record of what it wrote;
- ``oid-refs``: the OID-reference check on that record.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import registry_mix

from trialexport.formats.odm import identity, validation, xmltree, xsd
from trialexport.formats.odm.mapping import edc, engine, v20, v132
from trialexport.formats.odm.mapping.context import Ctx, oid_part
from trialexport.formats.odm.mapping.plan import Plan
from trialexport.model import Trial, dumped_once
from trialexport.readers import read_bytes
from trialexport.xmlsafe import parse_xml

VERSIONS = ("1.3.2", "2.0")


def one_pass(trials: list[Trial]) -> dict[str, float]:
    """CPU seconds per ``version stage`` over ``trials``."""
    spent: dict[str, float] = {}

    def tick(name: str, start: float) -> float:
        now = time.process_time()
        spent[name] = spent.get(name, 0.0) + now - start
        return now

    for trial in trials:
        with dumped_once(trial):
            for version in VERSIONS:
                t = time.process_time()
                ctx = Ctx(trial=trial, source_date_epoch=0)
                t = tick(f"{version} context", t)
                ctx.plan = Plan(oid_part(trial.study_id or "UNKNOWN"), version)
                engine.run(ctx, version)
                t = tick(f"{version} mapping", t)
                spec = edc.build_spec(ctx.plan, version)
                t = tick(f"{version} spec", t)
                root = (v132 if version == v132.VERSION else v20).build(ctx.plan, spec)
                t = tick(f"{version} write", t)
                data = xmltree.serialize(root)
                t = tick(f"{version} serialize", t)
                tree = parse_xml(data, source="mix.xml", emitted=True)
                t = tick(f"{version} parse", t)
                if not xsd.structural_schema(version).validate(tree):
                    raise SystemExit(f"{trial.study_id}: ODM {version} not valid")
                t = tick(f"{version} xsd", t)
                record = xmltree.written(root, data)
                if record is None or not identity.hold(record, version):
                    raise SystemExit(f"{trial.study_id}: ODM {version} repeats a key")
                t = tick(f"{version} identity", t)
                if not validation._references_resolve(record, version):
                    raise SystemExit(f"{trial.study_id}: ODM {version} has dangling references")
                tick(f"{version} oid-refs", t)
    return spent


def main(argv: list[str]) -> int:
    args = registry_mix.mix_parser(__doc__, repeat=5).parse_args(argv)
    mix = registry_mix.draw_mix(registry_mix.load_corpus(), args.studies, args.seed)
    trials = [res.trial for data in mix for res in read_bytes(data, name="mix.json") if res.trial is not None]
    one_pass(trials[:20])  # warm-up: schemas compiled, tables loaded
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        for name, seconds in one_pass(trials).items():
            best[name] = min(best.get(name, float("inf")), seconds)
    figures = {name: seconds * 1000 / len(trials) for name, seconds in best.items()}
    figures["sum"] = sum(figures.values())
    registry_mix.print_figures(f"ODM CPU ms per study, {len(trials)} studies, best of {args.repeat} per stage", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
