"""ODM coverage measured by reading: the module-mean share of populated registry values found in ODM 2.0 and 1.3.2.

Not a test. Run: ``.venv/bin/python benchmarks/odm_coverage.py [files...]`` (default: tests/data/ctgov-v2/*.json).
Each record is converted to ODM, the document is read back with the ODM reader, and every populated model leaf counts
as found when the read trial holds the same value at the same path (:mod:`trialexport.devtools.roundtrip`). The
share is computed per registry module (identificationModule, designModule ...) over all records, then averaged over
the modules (a module counts once, however many fields it has). Targets (issue 13): 2.0 >= 90%, 1.3.2 >= 75%.

``--native`` first removes the Protocol Aliases that keep registry fields as text (``ClinicalTrials.gov:<path>``), so
the share counts only what ODM's own elements carry: the honest figure for an importer that ignores Aliases.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def without_registry_aliases(doc: bytes) -> bytes:
    """The document without the Protocol Aliases that keep registry fields as text."""
    from lxml import etree

    from trialexport.formats.odm.mapping.tables import alias_context

    prefix = alias_context("registry-field")
    root = etree.fromstring(doc)
    for alias in root.iter("{*}Alias"):
        if alias.get("Context", "").startswith(prefix):
            alias.getparent().remove(alias)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def measure(files: list[str], version: str, native: bool = False) -> tuple[float, dict[str, tuple[int, int]]]:
    """``(module-mean share, {module: (found, populated)})`` of ODM ``version`` over the records of ``files``."""
    from trialexport import to_odm
    from trialexport.devtools.roundtrip import compare, module_shares
    from trialexport.readers import read_bytes, read_path

    comparisons = []
    for f in files:
        for res in read_path(f):
            if res.trial is None:
                continue
            doc = to_odm(res.trial, version=version)
            if native:
                doc = without_registry_aliases(doc)
            (back,) = list(read_bytes(doc, name=f"{res.trial.study_id}.xml"))
            comparisons.append(compare(res.trial, back.trial))
    shares = module_shares(comparisons)
    mean = sum(f / p for f, p in shares.values()) / len(shares)
    return mean, shares


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", help="registry records (default: tests/data/ctgov-v2/*.json)")
    parser.add_argument("--native", action="store_true", help="ignore the registry-field Protocol Aliases")
    args = parser.parse_args(argv)
    files = args.files or sorted(str(p) for p in (ROOT / "tests" / "data" / "ctgov-v2").glob("*.json"))
    for version in ("2.0", "1.3.2"):
        mean, shares = measure(files, version, args.native)
        what = "by ODM's own elements" if args.native else "found"
        print(f"ODM {version}: module-mean share of populated registry values {what} = {mean:.1%}")
        for module, (found, populated) in shares.items():
            print(f"  {module:40} {found:6}/{populated:<6} {found / populated:6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
