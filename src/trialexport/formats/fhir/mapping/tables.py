"""Compile the FHIR mapping tables (``mappings/fhir/*.csv``) once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from trialexport.mapkit.pathexpr import parse_condition
from trialexport.mapkit.sources import MappingRow, parse_source
from trialexport.mapkit.tables import load_table


@dataclass(frozen=True, slots=True)
class Target:
    """``Kind.path`` with ``[]`` (indexed by the source), ``[+]`` (append) and an optional extension wrap."""

    kind: str  # resource kind from resources.csv, e.g. "ResearchStudy", "Location[]" or "SiteContact[][]"
    path: tuple[tuple[str, str], ...]  # (key, mode) with mode "" | "[]" | "[+]"
    extension: str | None = None  # extensions.csv name: the value is wrapped in that extension
    ext_key: str | None = None  # sub-extension key inside the wrapped value
    only_if_unset: bool = False  # trailing "?": keep an earlier row's value

    @property
    def depth(self) -> int:
        """How many source indices name the resource: 0, 1 (``Location[]``) or 2 (``SiteContact[][]``)."""
        return self.kind.count("[]")


#: One mapping row compiled for one FHIR version.
Row = MappingRow[Target]


@dataclass(frozen=True, slots=True)
class Kind:
    """A resource kind from ``resources.csv``."""

    name: str
    type: str
    id: str
    order: int
    shared: bool  # content-derived id, the same across studies (Organization, Location, Practitioner)


def _split_path(text: str) -> tuple[tuple[str, str], ...]:
    out = []
    for part in text.split("."):
        for mode in ("[+]", "[]"):
            if part.endswith(mode):
                out.append((part[: -len(mode)], mode))
                break
        else:
            out.append((part, ""))
    return tuple(out)


def parse_target(text: str) -> Target:
    """Parse ``Location[].extension[+]@site-recruitment-status`` and friends."""
    only = text.endswith("?")
    text = text.rstrip("?")
    ext = ext_key = None
    if "@" in text:
        text, ext = text.split("@", 1)
        if "." in ext:
            ext, ext_key = ext.split(".", 1)
    kind, _, rest = text.partition(".")
    return Target(kind, _split_path(rest), ext, ext_key, only)


@cache
def kinds() -> dict[str, Kind]:
    """Resource kinds in bundle order."""
    table = load_table("fhir", "resources.csv")
    return {r["kind"]: Kind(r["kind"], r["type"], r["id"], i, r["scope"] == "shared") for i, r in enumerate(table)}


@cache
def table_names() -> tuple[str, ...]:
    """Mapping tables in processing order (as listed in ``resources.csv``), without duplicates."""
    names: list[str] = []
    for r in load_table("fhir", "resources.csv"):
        if r["table"] and r["table"] not in names:
            names.append(r["table"])
    return tuple(names)


@cache
def rows(version: str) -> tuple[Row, ...]:
    """Every mapping row that has a target in ``version``, in table order."""
    out = []
    for table in table_names():
        for r in load_table("fhir", table):
            target = r[f"target_{version}"]
            if not target:
                continue
            name, _, arg = r["transform"].partition(":")
            out.append(
                MappingRow(
                    r["id"],
                    table,
                    parse_source(r["source"]),
                    parse_target(target),
                    name,
                    arg,
                    r["codes"],
                    parse_condition(r["when"]),
                )
            )
    return tuple(out)


@cache
def source_paths(version: str) -> frozenset[str]:
    """Model paths read by the rows of ``version`` (sources and ``when`` conditions)."""
    paths: set[str] = set()
    for row in rows(version):
        for src in row.sources:
            paths.update(src.leaves())
        if row.when:
            paths.add(row.when[0])
    return frozenset(paths)


@cache
def not_carried(version: str) -> dict[str, str]:
    """``{model path: reason}`` for fields deliberately not carried in ``version``."""
    return {r["model"]: r["reason"] for r in load_table("fhir", "not-carried.csv") if r["version"] in ("*", version)}


@cache
def package_info() -> dict[str, str]:
    """``package-info.csv``: the project's FHIR package (name, version, canonical base, ...)."""
    return {r["key"]: r["value"] for r in load_table("fhir", "package-info.csv")}


def canonical(text: str) -> str:
    """``text`` with ``{base}`` replaced by the project's canonical base (``package-info.csv``)."""
    return text.replace("{base}", package_info()["canonical"]) if "{base}" in text else text


@cache
def codes() -> dict[str, dict[str, str]]:
    """Fixed codes and URIs of ``codes.csv`` by name (``{base}`` resolved)."""
    return {r["name"]: {k: canonical(v) for k, v in r.items()} for r in load_table("fhir", "codes.csv")}


def fixed(name: str, version: str) -> tuple[str, str, str]:
    """``(system, code, display)`` of a ``codes.csv`` entry."""
    row = codes()[name]
    return row[f"system_{version}"], row["code"], row["display"]


@dataclass(frozen=True, slots=True)
class ExtensionDef:
    """An extension the outputs use (``extensions.csv``; sub-extensions from ``extension-parts.csv``)."""

    name: str
    url: str
    context: str
    value_type: str  # "" for a complex extension
    title: str
    note: str
    parts: tuple[tuple[str, str, str, str, str], ...]  # (url, value type, min, max, short)

    def part_type(self, key: str) -> str:
        """The value type the definition gives the sub-extension ``key``."""
        for url, vtype, *_ in self.parts:
            if url == key:
                return vtype
        raise KeyError(f"extension {self.name!r} defines no sub-extension {key!r}")

    @property
    def project(self) -> bool:
        """Defined by this project (in ``mappings/fhir/package/``) rather than by HL7."""
        return self.url.startswith(package_info()["canonical"] + "/")


@cache
def extension_defs() -> dict[str, ExtensionDef]:
    """Every extension definition by name, with ``{base}`` resolved."""
    parts: dict[str, list[tuple[str, str, str, str, str]]] = {}
    for p in load_table("fhir", "extension-parts.csv"):
        parts.setdefault(p["extension"], []).append((p["url"], p["value_type"], p["min"], p["max"], p["short"]))
    return {r["name"]: ExtensionDef(r["name"], canonical(r["url"]), r["context"], r["value_type"], r["title"],
                                    r["note"], tuple(parts.get(r["name"], ())))
            for r in load_table("fhir", "extensions.csv")}  # fmt: skip


@cache
def extensions() -> dict[str, tuple[str, str]]:
    """``{name: (url, value type)}`` of ``extensions.csv``."""
    return {d.name: (d.url, d.value_type) for d in extension_defs().values()}


@cache
def extension_by_url() -> dict[str, ExtensionDef]:
    """Every extension definition by URL."""
    return {d.url: d for d in extension_defs().values()}


@cache
def shape_rules(version: str) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """``(resource type, element path, rule)`` of ``version-shapes.csv`` for ``version``."""
    out = []
    for r in load_table("fhir", "version-shapes.csv"):
        if r["version"] == version:
            rtype, *path = r["path"].split(".")
            out.append((rtype, tuple(path), r["rule"]))
    return tuple(out)
