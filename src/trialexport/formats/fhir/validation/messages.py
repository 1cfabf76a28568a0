"""Schema findings said the way a person reads them: ``invalid date '1990-13-45': month 13`` instead of the
official schema's 120-character regular expression.

Only the message changes: the verdict is still the official pattern's (a value is reported exactly when it fails
the pattern); this module only says which part of the value is wrong, for the date and time primitives.
"""

from __future__ import annotations

import re
from functools import cache

from .schema import load_schema

_TEMPORAL = ("date", "dateTime", "instant", "time")
_PARTS = re.compile(
    r"^(?P<year>\d{1,})(?:-(?P<month>\d+)(?:-(?P<day>\d+))?)?"
    r"(?:T(?P<hour>\d+):(?P<minute>\d+)(?::(?P<second>\d+)(?P<fraction>\.\d+)?)?(?P<zone>Z|[+-]\d{2}:\d{2})?)?$"
)
_TIME = re.compile(r"^(?P<hour>\d+):(?P<minute>\d+)(?::(?P<second>\d+)(?P<fraction>\.\d+)?)?$")
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@cache
def _temporal_patterns(version: str) -> dict[str, str]:
    """Pattern -> primitive name, for the date and time primitives of ``version``'s schema."""
    defs = load_schema(version)["definitions"]
    return {defs[t]["pattern"]: t for t in _TEMPORAL if isinstance(defs.get(t), dict) and "pattern" in defs[t]}


def _clock(m: re.Match[str]) -> str | None:
    hour, minute, second = m.group("hour"), m.group("minute"), m.group("second")
    if len(hour) != 2 or int(hour) > 23:
        return f"hour {hour} (expected 00-23)"
    if len(minute) != 2 or int(minute) > 59:
        return f"minute {minute} (expected 00-59)"
    if second is not None and (len(second) != 2 or int(second) > 60):
        return f"second {second} (expected 00-59)"
    return None


def _problem(value: str, kind: str) -> str:
    if kind == "time":
        m = _TIME.match(value)
        return (_clock(m) if m else None) or "expected hh:mm:ss"
    m = _PARTS.match(value)
    if m is None:
        return "expected YYYY, YYYY-MM, YYYY-MM-DD" + ("" if kind == "date" else " or YYYY-MM-DDThh:mm:ss+zz:zz")
    year, month, day = m.group("year"), m.group("month"), m.group("day")
    if kind == "instant" and (day is None or m.group("hour") is None or m.group("second") is None):
        return "an instant needs a full date, time with seconds and time zone (YYYY-MM-DDThh:mm:ss+zz:zz)"
    if len(year) != 4 or year == "0000":
        return f"year {year} (expected 4 digits, 0001-9999)"
    if month is not None and (len(month) != 2 or not 1 <= int(month) <= 12):
        return f"month {month} (expected 01-12)"
    if day is not None and month is not None and (len(day) != 2 or not 1 <= int(day) <= _DAYS[int(month) - 1]):
        return f"day {day} (month {month} has {_DAYS[int(month) - 1]} days at most)"
    if m.group("hour") is not None:
        if kind == "date":
            return "a date has no time part"
        if (clock := _clock(m)) is not None:
            return clock
        if m.group("zone") is None:
            return "a time needs a time zone (Z or +hh:mm)"
    return "not the FHIR format"


def explain_pattern(value: str, pattern: str, version: str) -> str | None:
    """A readable message for ``value`` failing ``pattern``, when the pattern is that of a date or time primitive of
    ``version``'s schema (``None`` otherwise: keep the schema's message)."""
    kind = _temporal_patterns(version).get(pattern)
    if kind is None:
        return None
    return f"invalid {kind} {value!r}: {_problem(value, kind)}"
