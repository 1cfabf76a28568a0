"""The CDISC Controlled Terminology release the project vendors (``schemas/cdisc-ct/``), and the reference
terminologies TS values are coded in (``mappings/cdisc/terminology.csv``).

The vendored CSV files come from an official CT release (provenance and sha256 in ``schemas/cdisc-ct/PROVENANCE.tsv``,
refreshed by ``scripts/refresh_cdisc_ct.py``); the release date is what TS TSVCDVER and ODM 2.0 Coding/@SystemVersion
declare.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from trialexport.mapkit.tables import load_table
from trialexport.resources import schema_path


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference terminology: the TSVCDREF name, the ODM 2.0 Coding System/SystemName, its version."""

    name: str
    system: str
    system_name: str
    version: str


def _vendored(name: str) -> list[dict[str, str]]:
    with schema_path("cdisc-ct", name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def release() -> str:
    """The CDISC CT release (effective date) of the vendored codelists, e.g. ``2025-03-28``."""
    (found,) = {r["release"] for r in _vendored("codelists.csv")}
    return found


@cache
def codelists() -> dict[str, dict[str, str]]:
    """``{codelist C-code: row}`` (submission value, name, extensible, package, release)."""
    return {r["codelist"]: r for r in _vendored("codelists.csv")}


@cache
def terms(codelist: str) -> dict[str, str]:
    """``{term C-code: submission value}`` of one vendored codelist."""
    return {r["code"]: r["submission_value"] for r in _vendored("terms.csv") if r["codelist"] == codelist}


@cache
def term_rows(codelist: str) -> tuple[tuple[str, str, str], ...]:
    """``(term C-code, submission value, preferred term)`` of one vendored codelist, by submission value."""
    return tuple((r["code"], r["submission_value"], r["preferred_term"]) for r in _vendored("terms.csv")
                 if r["codelist"] == codelist)


@cache
def alpha3() -> dict[str, str]:
    """ISO 3166-1 alpha-2 -> alpha-3."""
    return {r["alpha2"]: r["alpha3"] for r in _vendored("iso3166.csv")}


@cache
def reference(name: str) -> Reference:
    """The reference terminology ``name`` of ``terminology.csv`` (the CDISC CT version is the vendored release)."""
    for r in load_table("cdisc", "terminology.csv"):
        if r["name"] == name:
            version = release() if r["version"] == "vendored" else r["version"]
            return Reference(r["reference"], r["system"], r["system_name"], version)
    raise KeyError(f"no reference terminology {name!r} in mappings/cdisc/terminology.csv")
