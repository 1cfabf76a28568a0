"""Share of records whose eligibility criteria need a warning (READ-CRITERIA), per input and overall.

Usage:
  python benchmarks/criteria_warnings.py                 # every criteria text the project carries
  python benchmarks/criteria_warnings.py studies.zip     # any registry input (files, folders, zips, NDJSON)
  python benchmarks/criteria_warnings.py --format json

Records go through the readers as in ``trialexport convert`` (a record "needs a warning" when
reading it gave a READ-CRITERIA warning); legacy ClinicalTrials.gov XML files (``<clinical_study>``,
no reader in the project) have their ``<criteria><textblock>`` given to the parser directly.
Information notes (introductions, placeholders, ...) do not count. Warnings are also counted by
kind (``Note.kind``). Not a test.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from trialexport.readers import read_path
from trialexport.readers.criteria import parse_criteria

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = [ROOT / "tests" / "data" / "ctgov-v2", ROOT / "tests" / "data" / "ctgov-xml",
           ROOT / "tests" / "data" / "study-pages", ROOT / "fixtures" / "NCT04318600.txt",
           ROOT / "fixtures" / "inputs" / "TX-EARLY-001.yaml"]


def _files(paths: list[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file())
        else:
            yield p


def _records(path: Path) -> Iterator[tuple[str, str, bool, list[str], list[str]]]:
    """(source kind, record id, has a criteria text, warning messages, warning kinds) per record of ``path``."""
    if path.suffix == ".xml":
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        texts = tree.xpath("//eligibility/criteria/textblock/text()")
        notes = [n for n in parse_criteria(texts[0])[1] if n.severity == "warning"] if texts else []
        yield "legacy XML textblock", path.stem, bool(texts), [n.text for n in notes], [n.kind for n in notes]
        return
    for res in read_path(path):
        if res.trial is None:
            continue
        text = res.trial.eligibility.criteria_text
        warns = [d.message for d in res.diagnostics if d.code == "READ-CRITERIA" and d.severity == "warning"]
        kinds = [n.kind for n in parse_criteria(text)[1] if n.severity == "warning"] if text and warns else []
        yield res.source_format or "unknown", res.record or path.stem, bool(text), warns, kinds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("inputs", nargs="*", type=Path, help="files or folders (default: the project's records)")
    ap.add_argument("--format", choices=("text", "json"), default="text")
    args = ap.parse_args()
    per_source: dict[str, Counter[str]] = {}
    kinds: Counter[str] = Counter()
    flagged: list[tuple[str, str]] = []
    for path in _files(args.inputs or DEFAULT):
        for source, record, has_text, warns, warn_kinds in _records(path):
            c = per_source.setdefault(source, Counter())
            c["records"] += 1
            c["with criteria text"] += has_text
            if warns:
                c["needing a warning"] += 1
                flagged.append((record, "; ".join(warns)))
                kinds.update(warn_kinds)
    total = Counter[str]()
    for c in per_source.values():
        total.update(c)
    if args.format == "json":
        print(json.dumps({"per_source": per_source, "total": total, "warning_kinds": kinds,
                          "flagged": dict(flagged)}, indent=1, sort_keys=True))
        return
    print(f"{'source':24} {'records':>8} {'with text':>10} {'warned':>7} {'share':>7}")
    for name, c in sorted(per_source.items()) + [("all", total)]:
        share = c["needing a warning"] / c["with criteria text"] if c["with criteria text"] else 0.0
        print(f"{name:24} {c['records']:>8} {c['with criteria text']:>10} {c['needing a warning']:>7} {share:>7.1%}")
    print("\nwarning kinds (records; see criteria._NOTES):")
    for text, n in kinds.most_common():
        print(f"  {n:>4}  {text}")
    print("\nrecords with a warning:")
    for record, text in flagged:
        print(f"  {record}: {text[:150]}")


if __name__ == "__main__":
    main()
