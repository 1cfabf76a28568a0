"""Value converters: the text of one field -> a model value, or :class:`Bad`.

Each converter named in the ``value`` column of ``study-page-labels.csv`` is in :data:`FIELD_READERS`:
it takes the field's value lines and the model paths of its ``target`` cell and returns
``{model path: value}`` (plus ``"!unknown"``: parts it could not read, kept in extras by the caller).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from trialexport.model import check_partial_date

from .vocabulary import (
    age_units,
    alternation,
    code_key,
    lookup,
    norm,
    page_words,
    phase_codes,
    registry_words,
    role_key,
)

Line = tuple[int, str]  # (1-based line number, text without trailing whitespace)


class Bad(ValueError):
    """A value the reader cannot use; it goes to ``extras`` with a warning."""


def is_no_value(text: str) -> bool:
    """'', '-', 'N/A', 'not provided', ... (study-page-values.csv, no_value)."""
    key = norm(text)
    return key == "" or lookup("no_value", key) is not None


def code(text: str) -> str:
    """'Non-Randomized' / 'NON_RANDOMIZED' -> 'NON_RANDOMIZED'; 'N/A' -> 'NA' (dimension coded_value)."""
    fixed = lookup("coded_value", text)
    if fixed is not None:
        return fixed
    value = code_key(text)
    if not value:
        raise Bad(f"expected a coded value, got {text!r}")
    return value


def coded(dimension: str, text: str) -> str:
    """:func:`code`, then the page synonyms of ``dimension`` ('Both' -> 'ALL' for sex)."""
    value = code(text)
    return lookup(dimension, value, value)  # type: ignore[return-value]


def code_title(value: str) -> str:
    """'DIETARY_SUPPLEMENT' -> 'Dietary Supplement' (the registry's intervention-name prefix)."""
    return registry_words("intervention_type").get(value) or " ".join(w.capitalize() for w in value.split("_"))


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    return {
        "date_type": re.compile(rf"\(?\b({alternation(page_words('date_type'))})\b\)?", re.IGNORECASE),
        "enrollment_type": re.compile(rf"\b({alternation(page_words('enrollment_type'))})\b", re.IGNORECASE),
        "age": re.compile(
            rf"^(?P<n>\d+)\s*(?P<u>{alternation([u.removesuffix('s') for u in age_units()])})s?$", re.IGNORECASE
        ),
    }


def date(text: str) -> dict[str, Any]:
    """'2014-01-01', '2014-01', 'January 2014', 'Jan 1, 2014', optionally '(Actual)'/'(Estimated)' -> DateInfo."""
    raw = text.strip()
    date_type = None
    m = _patterns()["date_type"].search(raw)
    if m:
        date_type = lookup("date_type", m.group(1))
        raw = (raw[: m.start()] + raw[m.end() :]).strip(" :,")
    value = None
    if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", raw):
        value = raw
    elif m2 := re.fullmatch(r"([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})", raw):
        month = lookup("month", m2.group(1))
        if month is not None:
            value = f"{m2.group(3)}-{int(month):02d}" + (f"-{int(m2.group(2)):02d}" if m2.group(2) else "")
    if value is None:
        raise Bad(f"expected a date such as 2014-01-01, got {text!r}")
    try:
        check_partial_date(value)
    except ValueError as exc:
        raise Bad(str(exc)) from None
    return {"date": value} if date_type is None else {"date": value, "type": date_type}


def age(text: str) -> dict[str, Any] | None:
    """'18 Years' -> {'value': 18, 'unit': 'years'}; a no-value word ('N/A') -> None."""
    if is_no_value(text):
        return None
    m = _patterns()["age"].match(text.strip())
    if not m:
        raise Bad(f"expected an age such as '18 Years', got {text!r}")
    return {"value": int(m.group("n")), "unit": m.group("u").lower() + "s"}


def yes_no(text: str) -> bool:
    value = lookup("yes_no", text)
    if value is None:
        raise Bad(f"expected Yes or No, got {text!r}")
    return value == "true"


def phases(text: str) -> list[str]:
    """'PHASE1' -> ['PHASE1']; 'PHASE2, PHASE3' / 'Phase 2/Phase 3' -> ['PHASE2', 'PHASE3']; 'N/A' -> ['NA']."""
    cleaned = re.sub(r"\bN/A\b", "NA", text, flags=re.IGNORECASE)  # before '/' splits phases
    out = []
    for part in re.split(r"[,;/|+]|\band\b", cleaned, flags=re.IGNORECASE):
        key = re.sub(r"[^A-Z0-9]", "", part.upper())
        if not key:
            continue
        key = lookup("phase", key, key)  # type: ignore[assignment]
        if key not in phase_codes():
            raise Bad(f"unknown phase {part.strip()!r} in {text!r}")
        if key not in out:
            out.append(key)
    if not out:
        raise Bad(f"no phase in {text!r}")
    return out


def enrollment(text: str) -> tuple[int, str | None]:
    """'16 participants' / '1,200 participants (Estimated)' -> (count, type or None)."""
    m = re.search(r"\d[\d,]*", text)
    if not m or re.search(r"\d", text[m.end() :]):
        raise Bad(f"expected a participant count such as '16 participants', got {text!r}")
    kind = _patterns()["enrollment_type"].search(text)
    return int(m.group().replace(",", "")), (lookup("enrollment_type", kind.group(1)) if kind else None)


def masking(values: list[str]) -> tuple[str, list[str], list[str]]:
    """'SINGLE' then role lines ('Participants'), or 'Single (Participant, Investigator)' -> (level, roles, unknown)."""
    if not values:
        raise Bad("no masking value")
    m = re.fullmatch(r"\s*(?P<level>[^()]+?)\s*(?:\((?P<roles>[^()]*)\))?\s*", values[0])
    if not m:
        raise Bad(f"cannot read masking {values[0]!r}")
    level = coded("masking", m.group("level"))
    role_texts = ([m.group("roles")] if m.group("roles") else []) + values[1:]
    roles: list[str] = []
    unknown: list[str] = []
    for chunk in role_texts:
        for part in re.split(r"[,;]|\band\b", chunk):
            if not role_key(part):
                continue
            role = lookup("who_masked", part)
            if role is None:
                unknown.append(part.strip())
            elif role and role not in roles:  # '' marks words that are not roles ('Open Label')
                roles.append(role)
    return level, roles, unknown


def join_lines(lines: list[Line]) -> str:
    """Raw lines joined, leading/trailing blank lines dropped (paragraph breaks kept)."""
    texts = [t for _, t in lines]
    while texts and not texts[0].strip():
        texts.pop(0)
    while texts and not texts[-1].strip():
        texts.pop()
    return "\n".join(texts)


# --- field readers: (value lines, model paths) -> {model path: value} ---------------------------------------

FieldReader = Callable[[list[str], list[str]], dict[str, Any]]


def _one(conv: Callable[[str], Any]) -> FieldReader:
    """A single-line field converted by ``conv`` (``None`` stores nothing)."""

    def field(values: list[str], paths: list[str]) -> dict[str, Any]:
        if len(values) != 1:
            raise Bad(f"expected one value line, got {len(values)}")
        value = conv(values[0])
        return {} if value is None else {paths[0]: value}

    return field


def _enrollment_field(values: list[str], paths: list[str]) -> dict[str, Any]:
    count, kind = enrollment(" ".join(values))
    return {paths[0]: count} if kind is None else {paths[0]: count, paths[1]: kind}


def _masking_field(values: list[str], paths: list[str]) -> dict[str, Any]:
    level, roles, unknown = masking(values)
    out: dict[str, Any] = {paths[0]: level}
    if roles:
        out[paths[1]] = roles
    if unknown:
        out["!unknown"] = unknown
    return out


#: ``value`` column of study-page-labels.csv (labelled-field sections) -> reader
FIELD_READERS: dict[str, FieldReader] = {
    "code": _one(code),
    "phases": _one(phases),
    "enrollment": _enrollment_field,
    "date": _one(date),
    "age": _one(age),
    "sex": _one(lambda t: coded("sex", t)),
    "yes_no": _one(yes_no),
    "text": lambda values, paths: {paths[0]: "\n".join(values)},
    "masking": _masking_field,
}
