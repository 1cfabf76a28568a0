"""Country names as the registry writes them <-> ISO 3166-1 alpha-2 (``mappings/cdisc/countries.csv``).

One table serves every format: FHIR addresses, ODM 2.0 addresses, TS FCNTRY (via alpha-3) and the readers that
turn codes back into the registry's names.
"""

from __future__ import annotations

from functools import cache

from trialexport.mapkit.tables import load_table


@cache
def alpha2_by_name() -> dict[str, str]:
    """Registry country name (exact spelling) -> ISO 3166-1 alpha-2."""
    return {r["country"]: r["iso3166"] for r in load_table("cdisc", "countries.csv")}


@cache
def _alpha2_folded() -> dict[str, str]:
    return {name.casefold(): code for name, code in alpha2_by_name().items()}


def alpha2(name: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a registry country name (case-insensitive), or ``None``."""
    return alpha2_by_name().get(name) or _alpha2_folded().get(name.casefold())


@cache
def registry_name_by_alpha2() -> dict[str, str]:
    """ISO 3166-1 alpha-2 -> the registry's spelling of the country (rows noted as its own spelling first)."""
    out: dict[str, str] = {}
    rows = load_table("cdisc", "countries.csv")
    for r in sorted(rows, key=lambda r: "ClinicalTrials.gov" not in r["note"]):
        out.setdefault(r["iso3166"], r["country"])
    return out
