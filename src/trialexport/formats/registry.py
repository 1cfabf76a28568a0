"""The output formats: the only list of their names.

The CLI's ``--to`` choices, ``validate``'s detection, the fixtures, the Python API and the tests all derive from
:data:`FORMATS`. Adding a format is a new folder under ``formats/`` (a family implementing
:class:`~trialexport.formats.base.Family`) plus one line here. The family modules imported here are light: each
imports its mapping, serialization and validation code on first use, so ``trialexport --help`` stays fast.
"""

from __future__ import annotations

from . import fhir, model, odm, sdtm
from .base import Family, Format

FORMATS: tuple[Format, ...] = (
    Format("model", model.FAMILY, "", "trial model (JSON or YAML, readable back)", export=False),
    Format("fhir-r5", fhir.FAMILY, "r5", "HL7 FHIR R5 Bundle"),
    Format("fhir-r4", fhir.FAMILY, "r4", "HL7 FHIR R4 (4.0.1) Bundle"),
    Format("odm-1.3.2", odm.FAMILY, "1.3.2", "CDISC ODM 1.3.2"),
    Format("odm-2.0", odm.FAMILY, "2.0", "CDISC ODM 2.0"),
    # a folder of files per study, opt-in: not part of ``--to all`` (readme-sdtm.md)
    Format("sdtm", sdtm.FAMILY, "", "SDTM trial design datasets TS/TA/TE/TI (Dataset-JSON 1.1)", export=False),
)

BY_NAME: dict[str, Format] = {f.name: f for f in FORMATS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
EXPORTS: tuple[str, ...] = tuple(f.name for f in FORMATS if f.export)  # ``--to all``


def get(name: str) -> Format:
    """The format called ``name`` (e.g. ``fhir-r5``); ``ValueError`` naming the known ones otherwise."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; known: {', '.join(NAMES)}") from None


def families() -> tuple[Family, ...]:
    """Each family once, in registry order."""
    return tuple(dict.fromkeys(f.family for f in FORMATS))


def family(name: str) -> Family:
    """The family called ``name`` (``fhir``, ``odm``, ``model``)."""
    for f in FORMATS:
        if f.family.name == name:
            return f.family
    raise ValueError(f"unknown format family {name!r}")


def find(family_name: str, version: str) -> Format:
    """The format of ``family_name`` at ``version`` (e.g. ``("fhir", "r4")``)."""
    for f in FORMATS:
        if f.family.name == family_name and f.version == version:
            return f
    versions = [f.version for f in FORMATS if f.family.name == family_name]
    raise ValueError(f"unknown {family_name} version {version!r}; expected one of {', '.join(versions)}")
