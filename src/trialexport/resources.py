"""Locate the project's data folders (``mappings/``, ``schemas/``).

In a wheel they are installed inside the package (``trialexport/mappings``); in a
source checkout or editable install they sit at the repository root. The environment
variable ``TRIALEXPORT_MAPPINGS`` points the tool at another mappings folder (to try a
changed table without touching the installed one).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the folder ``name`` (``"mappings"`` or ``"schemas"``)."""
    override = os.environ.get(f"TRIALEXPORT_{name.upper()}")
    if override:
        return Path(override)
    inside = _PKG / name
    if inside.is_dir():
        return inside
    checkout = _PKG.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"trialexport data folder {name!r} not found (looked in {inside} and {checkout})")


def schema_path(*parts: str) -> Path:
    """Path of a vendored schema file, e.g. ``schema_path("fhir-r5", "fhir.schema.json")``."""
    return data_dir("schemas").joinpath(*parts)


def mapping_path(*parts: str) -> Path:
    """Path of a mapping table, e.g. ``mapping_path("crosswalks", "phase.csv")``."""
    return data_dir("mappings").joinpath(*parts)
