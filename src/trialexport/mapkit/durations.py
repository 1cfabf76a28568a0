"""Durations: the one table of time units (``mappings/crosswalks/durations.csv``), ISO 8601 durations, and the
latest point named in a registry time-frame text (``12 weeks``, ``Day 28``, ``up to 6 months``)."""

from __future__ import annotations

import re
from functools import cache

from .tables import load_table


@cache
def units() -> dict[str, dict[str, str]]:
    """``{unit: row}`` of ``durations.csv`` (units as the model writes them: ``years``, ``months``, ...)."""
    return {r["unit"]: r for r in load_table("crosswalks", "durations.csv")}


def iso_duration(value: int | float, unit: str) -> str:
    """An amount of a unit as an ISO 8601 duration, e.g. ``P14Y`` or ``PT6H``."""
    u = units()[unit]
    return f"{u['iso8601_prefix']}{value}{u['iso8601_designator']}"


@cache
def _spellings() -> dict[str, str]:
    out: dict[str, str] = {}
    for unit, row in units().items():
        for word in (unit.removesuffix("s"), *row["aliases"].split()):
            out[word] = unit
    return out


@cache
def _pattern() -> re.Pattern[str]:
    words = "|".join(sorted(_spellings(), key=len, reverse=True))
    number = r"\d+(?:\.\d+)?"
    # "Weeks 2, 4, 8, and 12", "Weeks 4-12"; a number with its own unit ("Week 12 and 24 months") ends the series
    series = rf"{number}(?:\s*(?:,\s*and|,|and|-|to|through)\s*{number}(?!\s*-?\s*(?:{words})))*"
    return re.compile(rf"(?:(?P<n1>{number})\s*-?\s*(?P<u1>{words})s?\b"
                      rf"|\b(?P<u2>{words})s?\s+(?P<n2>{series})\b)", re.IGNORECASE)  # fmt: skip


def latest_point(text: str) -> tuple[int | float, str] | None:
    """``(amount, unit)`` of the latest point a time-frame text names, or ``None`` if none parses.

    A goal is due at the end of its time frame, so ``Day 1 to Day 28`` gives ``(28, "days")`` and
    ``Weeks 2, 4, 8, and 12`` gives ``(12, "weeks")``.
    """
    best: tuple[float, int | float, str] | None = None
    for m in _pattern().finditer(text):
        unit = _spellings()[(m["u1"] or m["u2"]).lower()]
        for number in re.findall(r"\d+(?:\.\d+)?", m["n1"] or m["n2"]):  # a unit before a series: every point
            value: int | float = float(number) if "." in number else int(number)
            length = value * int(units()[unit]["minutes"])
            if best is None or length > best[0]:
                best = (length, value, unit)
    return None if best is None else (best[1], best[2])
