"""Code crosswalks: registry value -> FHIR R5 / FHIR R4 / CDISC submission value / NCI C-code.

Each dimension is one CSV in ``mappings/crosswalks/`` with one column per target, so FHIR
and ODM share the same tables. Code system URIs live in ``mappings/crosswalks/systems.csv``.
An unknown registry value is never passed off as a code: :func:`lookup` returns ``None``
and the caller keeps the value as text and warns.
"""

from __future__ import annotations

from functools import cache

from .tables import load_table

TARGET_COLUMNS = ("fhir_r5", "fhir_r4", "cdisc", "nci")


@cache
def crosswalk(name: str) -> dict[str, dict[str, str]]:
    """``{registry value: row}`` of ``mappings/crosswalks/<name>.csv``."""
    return {row["ctgov"]: row for row in load_table("crosswalks", f"{name}.csv")}


def known(name: str, value: str) -> bool:
    """Whether the registry value is listed in the crosswalk at all."""
    return value in crosswalk(name)


def lookup(name: str, value: str, target: str) -> str | None:
    """The target code for a registry value, or ``None`` when unknown or deliberately unmapped."""
    row = crosswalk(name).get(value)
    code = row.get(target) if row else None
    return code or None


@cache
def system(name: str, target: str) -> str:
    """Code system URI of a crosswalk's target column (``*`` rows apply to every crosswalk)."""
    rows = load_table("crosswalks", "systems.csv")
    for row in rows:
        if row["crosswalk"] == name and row["target"] == target:
            return row["system"]
    for row in rows:
        if row["crosswalk"] == "*" and row["target"] == target:
            return row["system"]
    raise KeyError(f"no code system for crosswalk {name!r} target {target!r} in mappings/crosswalks/systems.csv")


def unknown_message(table: str, value: str) -> str:
    """The one wording of the MAP-UNKNOWN-CODE warning, for every writer (``table``: e.g. ``crosswalks/phase``)."""
    return f"registry value {value!r} is not in mappings/{table}.csv: kept as text"
