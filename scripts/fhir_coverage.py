"""How much of the registry a FHIR Bundle carries, measured by reading it back.

For every record of a folder of ClinicalTrials.gov API v2 studies (default: the test corpus): read it into the
model, write FHIR R5 and R4 Bundles, read each Bundle back with the FHIR reader, and count the populated registry
values (leaves of the model, and of ``extras`` where the FHIR output carries them) that come back with the same
value. Values are grouped by the registry module they come from (``mappings/readers/ctgov-v2.csv``); the figure is
the mean over modules of the share found (module-mean), with the pooled share beside it.

Counted: every protocolSection module, the derived MeSH terms (``derivedSection.*BrowseModule.meshes``), the
registry documents (``documentSection.largeDocumentModule``) and ``hasResults``. Not counted: the results section
(results are not mapped), annotations, the registry's browse index (ancestors, leaves, branches) and misc info,
and ``eligibility.criteria`` (parsed from the criteria text, which is counted).

    python scripts/fhir_coverage.py [FOLDER] [--by-field]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COUNTED_EXTRAS = ("documentSection.largeDocumentModule",)
SKIPPED_MODEL = ("eligibility.criteria[]",)


def _leaves(node: Any, path: str = ""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for value in node:
            yield from _leaves(value, path + "[]")
    elif node is not None and node != "":
        yield path, node


def _modules() -> dict[str, str]:
    """Model path (``[]`` for list items) -> registry module, from the CT.gov reader table."""
    from trialexport.mapkit.tables import load_table

    out = {}
    for row in load_table("readers", "ctgov-v2.csv"):
        parts = row["source"].split(".")
        module = ".".join(parts[:2]) if parts[0] in ("protocolSection", "derivedSection") else parts[0]
        out[row["model"]] = module
    return out


def _module_of(path: str, modules: dict[str, str]) -> str | None:
    if path.startswith("extras."):
        key = path[len("extras."):]
        return next((m for m in COUNTED_EXTRAS if key.startswith(m)), None)
    if path.startswith(SKIPPED_MODEL):
        return None
    probe = path
    while probe:
        if probe in modules:
            return modules[probe]
        probe = probe.rpartition(".")[0]
    return None


def _values(trial: Any, modules: dict[str, str]) -> dict[tuple[str, str], Counter]:
    data = trial.to_data()
    out: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for path, value in _leaves(data):
        module = _module_of(path, modules)
        if module:
            out[(module, path)][json.dumps(value)] += 1
    return out


def measure(folder: Path) -> dict[str, dict[str, tuple[int, int]]]:
    """``{version: {module: (found, populated)}}`` over the records of ``folder``."""
    import orjson

    import trialexport
    from trialexport.formats.fhir.bundle import map_bundle
    from trialexport.readers.fhir_bundle import READER

    modules = _modules()
    totals: dict[str, dict[str, list[int]]] = {v: defaultdict(lambda: [0, 0]) for v in ("r5", "r4")}
    fields: dict[str, dict[str, list[int]]] = {v: defaultdict(lambda: [0, 0]) for v in ("r5", "r4")}
    for path in sorted(folder.glob("*.json")):
        trial = trialexport.read_trial(path)
        want = _values(trial, modules)
        for version in ("r5", "r4"):
            bundle, _ = map_bundle(trial, version)
            back, _ = READER.read(orjson.loads(orjson.dumps(bundle)), None)
            got = _values(back, modules) if back is not None else {}
            for key, counts in want.items():
                found = sum((counts & got.get(key, Counter())).values())
                populated = sum(counts.values())
                totals[version][key[0]][0] += found
                totals[version][key[0]][1] += populated
                field = re.sub(r"\[\]", "", key[1])
                fields[version][field][0] += found
                fields[version][field][1] += populated
    measure.fields = fields  # type: ignore[attr-defined]
    return {v: {m: (f, p) for m, (f, p) in sorted(t.items())} for v, t in totals.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", type=Path, default=ROOT / "tests" / "data" / "ctgov-v2")
    ap.add_argument("--by-field", action="store_true", help="also list the fields not fully found")
    args = ap.parse_args(argv)
    result = measure(args.folder)
    for version, modules in result.items():
        shares = {m: f / p for m, (f, p) in modules.items() if p}
        found, populated = sum(f for f, _ in modules.values()), sum(p for _, p in modules.values())
        print(f"FHIR {version.upper()}: module-mean {100 * sum(shares.values()) / len(shares):.1f}% "
              f"(pooled {100 * found / populated:.1f}% of {populated} values, {len(shares)} modules)")
        for module, share in shares.items():
            f, p = modules[module]
            print(f"  {100 * share:6.1f}%  {f:6d} / {p:<6d} {module}")
        if args.by_field:
            for field, (f, p) in sorted(measure.fields[version].items()):  # type: ignore[attr-defined]
                if f < p:
                    print(f"      missing {p - f:5d} of {p:5d}  {field}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    raise SystemExit(main())
