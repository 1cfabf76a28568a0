"""The page's words, from the tables in ``mappings/readers/`` (and the crosswalks), loaded once.

``study-page-sections.csv``: headings, their handler and the site sentence under each;
``study-page-labels.csv``: field labels per section and the model path they fill;
``study-page-values.csv``: page words -> registry values, one ``dimension`` per vocabulary.

Page text and table text are compared through a *key* function per dimension (case- and
space-insensitive, see :data:`_KEY`), so the tables hold words as the page writes them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from trialexport.mapkit.tables import load_table


def norm(text: str) -> str:
    """Case- and whitespace-insensitive form for comparing labels and sentences."""
    return " ".join(text.split()).lower()


def code_key(text: str) -> str:
    """'Non-Randomized' / 'non randomized' -> 'NON_RANDOMIZED' (the registry's code spelling)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text.strip()).strip("_").upper()


def phase_key(text: str) -> str:
    """'Phase II' -> 'PHASEII': letters and digits only."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def role_key(text: str) -> str:
    """'Care_Providers' -> 'care provider' (plural 's' dropped)."""
    return norm(text.replace("_", " ")).rstrip("s")


def source_key(text: str) -> str:
    """'Org Study ID' -> 'org_study_id'."""
    return norm(text).replace(" ", "_")


# dimension of study-page-values.csv -> how page text is compared (default: norm)
_KEY: dict[str, Callable[[str], str]] = {
    "phase": phase_key,
    "masking": code_key,
    "sex": code_key,
    "agency_class": code_key,
    "intervention_type": code_key,
    "who_masked": role_key,
    "identifier_source": source_key,
}


@cache
def values(dimension: str) -> dict[str, str]:
    """{page key: registry value} of one dimension of ``study-page-values.csv``."""
    key = _KEY.get(dimension, norm)
    rows = [r for r in load_table("readers", "study-page-values.csv") if r["dimension"] == dimension]
    if not rows:
        raise LookupError(f"study-page-values.csv has no rows for dimension {dimension!r}")
    return {key(r["page"]): r["registry"] for r in rows}


def lookup(dimension: str, text: str, default: str | None = None) -> str | None:
    """The registry value of page ``text`` in ``dimension``, or ``default``."""
    return values(dimension).get(_KEY.get(dimension, norm)(text), default)


@cache
def registry_words(dimension: str) -> dict[str, str]:
    """{registry value: page text} of one dimension (first row wins), e.g. 'DRUG' -> 'Drug'."""
    out: dict[str, str] = {}
    for r in load_table("readers", "study-page-values.csv"):
        if r["dimension"] == dimension:
            out.setdefault(r["registry"], r["page"])
    return out


@cache
def page_words(dimension: str) -> tuple[str, ...]:
    """The page texts of one dimension, in table order (for building patterns)."""
    return tuple(r["page"] for r in load_table("readers", "study-page-values.csv") if r["dimension"] == dimension)


@cache
def sections() -> dict[str, dict[str, str]]:
    """{heading: row of ``study-page-sections.csv``} in table order."""
    return {r["heading"]: r for r in load_table("readers", "study-page-sections.csv")}


def heading_of(handler: str) -> str:
    """The heading whose ``handler`` is ``handler`` (first in table order)."""
    return next(h for h, r in sections().items() if r["handler"] == handler)


@cache
def section_keys() -> dict[str, str]:
    """{normalized heading: heading}."""
    return {norm(h): h for h in sections()}


@cache
def site_sentences() -> tuple[str, ...]:
    """The site's fixed sentences (under headings, or standing for an empty state): never data."""
    return tuple(r["sentence"] for r in sections().values() if r["sentence"])


@cache
def site_sentence_keys() -> frozenset[str]:
    return frozenset(norm(s) for s in site_sentences())


@cache
def labels(section: str) -> tuple[dict[str, str], ...]:
    """Rows of ``study-page-labels.csv`` for one section heading."""
    return tuple(r for r in load_table("readers", "study-page-labels.csv") if r["section"] == section)


def label_words(section: str, target: str) -> tuple[str, ...]:
    """The label(s) of ``section`` that fill ``target``, e.g. ('Group Type',)."""
    found = tuple(r["label"] for r in labels(section) if r["target"] == target)
    if not found:
        raise LookupError(f"study-page-labels.csv: no label for {target!r} in section {section!r}")
    return found


@cache
def phase_codes() -> frozenset[str]:
    """Single registry phase codes (crosswalks/phase.csv, rows without '|')."""
    return frozenset(r["ctgov"] for r in load_table("crosswalks", "phase.csv") if "|" not in r["ctgov"])


@cache
def age_units() -> tuple[str, ...]:
    """Registry age units ('years', ...), from crosswalks/age_unit.csv."""
    return tuple(r["ctgov"] for r in load_table("crosswalks", "age_unit.csv"))


def alternation(words: tuple[str, ...] | list[str]) -> str:
    """A regex alternation of literal words, longest first."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
