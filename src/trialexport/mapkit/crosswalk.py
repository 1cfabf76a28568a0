"""Code crosswalks: registry value -> FHIR R5 / FHIR R4 / CDISC submission value / NCI C-code, as one :class:`Code`.

Each dimension is one CSV with one column per target (``ctgov,fhir_r5,fhir_r4,cdisc,nci,note``, optionally
``cdisc_match``: ``wider`` where CDISC has no term as narrow as the registry's), so FHIR and CDISC outputs share
the same tables: ``mappings/crosswalks/<name>.csv``, or a table named with its folder (``cdisc/ny``).
Code system URIs live in ``mappings/crosswalks/systems.csv``. An unknown registry value is never passed off as a
code: :func:`code` returns ``None`` and the caller keeps the value as text and warns (:func:`unknown_message`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .tables import load_table


@dataclass(frozen=True, slots=True)
class Code:
    """One registry value and what it is in every target (an empty string: deliberately no code there)."""

    registry: str
    fhir_r5: str = ""
    fhir_r4: str = ""
    cdisc: str = ""
    nci: str = ""
    note: str = ""
    cdisc_match: str = ""  # "wider": the CDISC term / NCI code is broader than the registry value (ConceptMap sense)

    def target(self, column: str) -> str | None:
        """The code in ``column`` (``fhir_r5``, ``fhir_r4``, ``cdisc``, ``nci``), or ``None`` if there is none."""
        return getattr(self, column) or None


def _path(name: str) -> tuple[str, str]:
    folder, _, base = name.rpartition("/")
    return folder or "crosswalks", f"{base}.csv"


@cache
def table(name: str) -> dict[str, Code]:
    """``{registry value: Code}`` of a crosswalk (``phase`` = ``mappings/crosswalks/phase.csv``; ``cdisc/ny``)."""
    rows = load_table(*_path(name))
    return {r["ctgov"]: Code(r["ctgov"], r.get("fhir_r5", ""), r.get("fhir_r4", ""), r.get("cdisc", ""),
                             r.get("nci", ""), r.get("note", ""), r.get("cdisc_match", "")) for r in rows}  # fmt: skip


def code(name: str, value: str) -> Code | None:
    """The :class:`Code` of a registry value, or ``None`` when the crosswalk does not list it."""
    return table(name).get(value)


def known(name: str, value: str) -> bool:
    """Whether the registry value is listed in the crosswalk at all."""
    return value in table(name)


def lookup(name: str, value: str, target: str) -> str | None:
    """The target code for a registry value, or ``None`` when unknown or deliberately unmapped."""
    found = table(name).get(value)
    return found.target(target) if found else None


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


def unknown_message(name: str, value: str) -> str:
    """The one wording of the MAP-UNKNOWN-CODE warning, for every format."""
    folder, base = _path(name)
    return f"registry value {value!r} is not in mappings/{folder}/{base}: kept as text"
