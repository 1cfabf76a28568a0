#!/usr/bin/env python3
"""Re-vendor the CDISC Controlled Terminology (and ISO 3166-1 codes) the project uses, or verify them offline.

Usage::

    python scripts/refresh_cdisc_ct.py                 # pip download usdm4==VERSION, extract, rewrite schemas/cdisc-ct/
    python scripts/refresh_cdisc_ct.py --wheel W.whl   # the same from a wheel already downloaded
    python scripts/refresh_cdisc_ct.py --check         # offline: every vendored file's sha256 against PROVENANCE.tsv

Source (pinned): the PyPI package ``usdm4`` (:data:`VERSION`) ships CDISC's SDTM and Protocol Controlled Terminology
as data (``usdm4/ct/cdisc/library_cache/library_cache_all.yaml``: one entry per codelist with its terms, each marked
with its CT package and effective date) and the ISO 3166-1 country codes (``usdm4/ct/iso/iso3166/iso3166.json``).
Only the codelists in :data:`CODELISTS` are vendored, as CSV:

* ``codelists.csv``: codelist C-code, submission value, name, extensible, CT package, release date;
* ``terms.csv``: codelist C-code, term C-code, submission value, preferred term;
* ``iso3166.csv``: alpha-2, alpha-3, name.

``PROVENANCE.tsv`` records for each file the package, version, the path of its source inside the wheel, the sha256
of that source and of the vendored file, the CT release and the licence. To move to a newer CT release, raise
:data:`VERSION` (or pass ``--wheel``), run the script, then run the tests: ``tests/test_cdisc_ct.py`` checks every
code the outputs emit against the vendored release.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "schemas" / "cdisc-ct"
PACKAGE = "usdm4"
VERSION = "0.29.0"
CT_SOURCE = "usdm4/ct/cdisc/library_cache/library_cache_all.yaml"
ISO_SOURCE = "usdm4/ct/iso/iso3166/iso3166.json"
CT_LICENSE = ("CDISC Controlled Terminology (c) CDISC, published by NCI EVS and free to use "
              "(https://www.cdisc.org/standards/terminology); extracted from the data files of usdm4 (package licence "
              "GPL-3.0, which covers usdm4's code, not CDISC's terminology)")
ISO_LICENSE = ("ISO 3166-1 country code elements (names and codes are facts published by the ISO 3166 Maintenance "
               "Agency); extracted from usdm4's iso3166.json (usdm4's library.py names it version 2020-08)")
HEADER = ("path", "source_package", "version", "path_in_package", "source_sha256", "sha256", "release", "license")

#: The codelists the project emits or checks against (C-code: submission value).
CODELISTS = {
    "C66738": "TSPARMCD", "C67152": "TSPARM",  # Trial Summary parameter codes and names
    "C66737": "TPHASE", "C99077": "STYPE", "C99076": "INTMODEL", "C66736": "TINDTP", "C66735": "TBLIND",
    "C66742": "NY", "C66785": "TCNTRL", "C66732": "SEXPOP", "C99078": "INTTYPE", "C127259": "OBSSMO",
    "C127261": "OBSSTP", "C127260": "OBSSSM", "C66739": "TTYPE", "C127257": "CONROL",  # TS value codelists
    "C66731": "SEX", "C66781": "AGEU", "C66797": "IECAT", "C99079": "EPOCH",  # EDC items and ODM structure
    "C174222": "Study Arm Type Value Set Terminology",  # arm types (CL.ARM aliases)
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def extract(wheel: Path) -> dict[str, tuple[bytes, str, str, str]]:
    """``{vendored file: (bytes, source path, source sha256, release)}`` from a usdm4 wheel."""
    import yaml

    with zipfile.ZipFile(wheel) as zf:
        ct_raw, iso_raw = zf.read(CT_SOURCE), zf.read(ISO_SOURCE)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    library = yaml.load(ct_raw, Loader=loader)
    lists, terms, releases = [], [], set()
    for code in sorted(CODELISTS, key=lambda c: int(c[1:])):
        entry = library[code]
        source = entry["source"]
        releases.add(source["effective_date"])
        lists.append([code, entry["submissionValue"], entry["name"], str(entry["extensible"]).lower(),
                      source["package"], source["effective_date"]])
        for t in sorted(entry["terms"], key=lambda t: t["submissionValue"]):
            terms.append([code, t["conceptId"], t["submissionValue"], t.get("preferredTerm", "")])
    (release,) = releases  # one CT release for everything vendored
    countries = sorted((c["alpha-2"], c["alpha-3"], c["name"]) for c in json.loads(iso_raw))
    ct_sha, iso_sha = sha256(ct_raw), sha256(iso_raw)
    return {
        "codelists.csv": (_csv(["codelist", "submission_value", "name", "extensible", "package", "release"], lists),
                          CT_SOURCE, ct_sha, release),
        "terms.csv": (_csv(["codelist", "code", "submission_value", "preferred_term"], terms), CT_SOURCE, ct_sha,
                      release),
        "iso3166.csv": (_csv(["alpha2", "alpha3", "name"], [list(c) for c in countries]), ISO_SOURCE, iso_sha,
                        "2020-08"),
    }


def write(files: dict[str, tuple[bytes, str, str, str]], root: Path = TARGET) -> None:
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, (data, source, source_sha, release) in sorted(files.items()):
        (root / name).write_bytes(data)
        license_ = ISO_LICENSE if source == ISO_SOURCE else CT_LICENSE
        rows.append([name, PACKAGE, VERSION, source, source_sha, sha256(data), release, license_])
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    (root / "PROVENANCE.tsv").write_text(out.getvalue(), encoding="utf-8")


def read_provenance(root: Path = TARGET) -> list[dict[str, str]]:
    with (root / "PROVENANCE.tsv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def check(root: Path = TARGET) -> list[str]:
    """Problems: a listed file missing or changed, or a file in the folder that is not listed."""
    problems = []
    listed = set()
    for row in read_provenance(root):
        listed.add(row["path"])
        path = root / row["path"]
        if not path.is_file():
            problems.append(f"{row['path']}: missing")
        elif sha256(path.read_bytes()) != row["sha256"]:
            problems.append(f"{row['path']}: sha256 differs from PROVENANCE.tsv")
    for path in sorted(root.iterdir()):
        if path.name not in listed and path.name != "PROVENANCE.tsv":
            problems.append(f"{path.name}: not listed in PROVENANCE.tsv")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="verify the vendored files offline")
    parser.add_argument("--wheel", type=Path, help="a usdm4 wheel already downloaded")
    parser.add_argument("--root", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.root)
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel
        if wheel is None:
            subprocess.run([sys.executable, "-m", "pip", "download", f"{PACKAGE}=={VERSION}", "--no-deps",
                            "--only-binary", ":all:", "-d", tmp, "-q"], check=True)
            (wheel,) = Path(tmp).glob("*.whl")
        write(extract(wheel), args.root)
    print(f"vendored CDISC CT from {PACKAGE} {VERSION} into {args.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
