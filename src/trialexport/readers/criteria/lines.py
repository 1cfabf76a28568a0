"""Lines of a criteria block: bullets, numbering, and the line kinds that are not criteria."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .headings import _ALTERNATIVES, _BULLET, _CLOSING, _INTRO_CUE, _INTRO_TOPIC, _ROMAN, _STRONG_LABEL


@dataclass(slots=True)
class _Line:
    indent: int
    text: str  # stripped
    blank_before: bool
    marker: str | None = None  # bullet marker, when the line is a bullet
    body: str = ""  # bullet text (or the line's text)


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    blank = False
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not any(ch.isalnum() for ch in raw):  # blank, or a rule such as "---" or "***"
            blank = True
            continue
        line = raw.rstrip().expandtabs(4)
        b = _BULLET.match(line)
        indent = len(line) - len(line.lstrip())
        if b:
            out.append(_Line(indent, line.strip(), blank, b.group("marker"), b.group("text").strip()))
        else:
            out.append(_Line(indent, line.strip(), blank, None, line.strip()))
        blank = False
    return out


def _family(marker: str) -> str:
    core = marker.strip("().")
    if core.isdigit():
        return "digit"
    if core.lower() in _ROMAN and (marker.startswith("(") or len(core) > 1 or core.lower() == "i"):
        return "roman"
    if core.isalpha() and len(core) == 1:
        return "letter"
    return "symbol"


def _number(marker: str) -> int | None:
    core = marker.strip("().")
    return int(core) if core.isdigit() else None


def _is_closing(text: str) -> bool:
    low = text.lower()
    return ("intended" in low or "apply" in low) and bool(_CLOSING.search(text))


def _is_intro(text: str, kind: str) -> bool:
    if not text.rstrip("*_ ").endswith(":") or not _INTRO_CUE.search(text) or not _INTRO_TOPIC.search(text):
        return False
    if _ALTERNATIVES.search(text) and not (kind == "exclusion" and re.search(r"\bany\b", text, re.I)):
        return False  # "must meet one of the following:" is a criterion whose options follow
    return len(text.split()) <= 30


def _is_label(text: str) -> bool:
    """A sub-heading: a short label ending with a colon, or ``Part A`` / ``Cohort 2`` on its own."""
    body = text.strip("*_ ")
    if _STRONG_LABEL.match(body.rstrip(":").strip()):
        return True
    if not body.endswith(":"):
        return False
    label = body[:-1].strip()
    return bool(label) and len(label.split()) <= 12 and len(label) <= 100 and not re.search(r"[.;]\s", label)
