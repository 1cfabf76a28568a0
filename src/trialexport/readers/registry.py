"""The input readers: the only list of record kinds, in the order content detection asks them.

``convert --from`` choices, :mod:`.containers` (which splits inputs into records) and ``validate`` all derive from
:data:`READERS`. Adding a reader is a module declaring a :class:`~.base.Reader` plus one line here.
"""

from __future__ import annotations

from typing import Any

from .base import Reader
from .ctgov import READER as CTGOV
from .fhir_bundle import READER as FHIR
from .model_file import READER as MODEL
from .odm_document import READER as ODM
from .study_page import READER as PAGE

READERS: tuple[Reader, ...] = (MODEL, CTGOV, FHIR, PAGE, ODM)  # a trial definition's keys are checked before a study's
NAMES: tuple[str, ...] = tuple(r.name for r in READERS)


def get(name: str) -> Reader:
    """The reader called ``name``; ``ValueError`` naming the known ones otherwise."""
    for reader in READERS:
        if reader.name == name:
            return reader
    raise ValueError(f"unknown input kind {name!r}; known: {', '.join(NAMES)}")


def detect(value: Any, shape: str) -> Reader | None:
    """The first reader of ``shape`` that claims ``value``, or ``None``."""
    for reader in READERS:
        if reader.shape == shape and reader.claims(value):
            return reader
    return None


def described() -> str:
    """The kinds of record trialexport reads, for messages: ``ClinicalTrials.gov API v2 study JSON, ...``."""
    return ", ".join(r.title for r in READERS)
