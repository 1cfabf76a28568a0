"""Per-conversion context: text cleaning, code lookups and the diagnostics they raise."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from trialexport.diagnostics import Diagnostic, warning
from trialexport.mapkit import crosswalk
from trialexport.mapkit.crosswalk import system
from trialexport.mapkit.tables import load_table
from trialexport.mapkit.textclean import replace_forbidden
from trialexport.model import Trial

_OID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Code:
    """A registry value resolved through a crosswalk: CDISC submission value and NCI C-code (either may be empty)."""

    registry: str
    cdisc: str | None
    nci: str | None


@cache
def codes_table(name: str) -> dict[str, dict[str, str]]:
    """``{registry value: row}`` of ``mappings/<name>.csv`` (e.g. ``crosswalks/phase`` or ``odm/ny``)."""
    *folder, base = name.split("/")
    return {row["ctgov"]: row for row in load_table(*folder, f"{base}.csv")}


@cache
def odm_table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``mappings/odm/<name>.csv``."""
    return load_table("odm", f"{name}.csv")


@cache
def code_system(name: str) -> str:
    """System URI for ODM 2.0 Coding: ``mappings/odm/code-systems.csv``, else the crosswalk systems table."""
    for row in odm_table("code-systems"):
        if row["name"] == name:
            return row["system"]
    return system("*", name)


def oid_part(value: str) -> str:
    """A readable OID fragment: anything outside ``[A-Za-z0-9._-]`` becomes ``_``."""
    return _OID_UNSAFE.sub("_", value).strip("_") or "X"


@dataclass
class Ctx:
    """Collects diagnostics while the spec is assembled; one per trial and ODM version."""

    trial: Trial
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _data: dict[str, Any] | None = None
    _seen: set[tuple[str, str]] = field(default_factory=set)

    @property
    def data(self) -> dict[str, Any]:
        """The trial as plain JSON data (computed once), for table-driven path reads."""
        if self._data is None:
            self._data = self.trial.to_data()
        return self._data

    def report(self, code: str, message: str, path: str, severity: str = "warning") -> None:
        if (code, path) in self._seen:
            return
        self._seen.add((code, path))
        diag = warning(code, message, path=path)
        if severity != "warning":
            diag = Diagnostic(severity, code, message, path=path)  # type: ignore[arg-type]
        self.diagnostics.append(diag)

    def text(self, value: Any, path: str) -> str:
        """``value`` as XML-safe text; forbidden characters become U+FFFD and are reported (MAP-XML-CHAR)."""
        s, bad = replace_forbidden(value if isinstance(value, str) else str(value))
        if bad:
            self.report("MAP-XML-CHAR", f"characters XML 1.0 forbids replaced with U+FFFD: {', '.join(bad)}", path)
        return s

    def code(self, table: str, value: str, path: str) -> Code:
        """Resolve a registry value; unknown values are kept as text (MAP-UNKNOWN-CODE), uncoded ones noted."""
        row = codes_table(table).get(value)
        if row is None:
            self.report("MAP-UNKNOWN-CODE", crosswalk.unknown_message(table, value), path)
            return Code(value, None, None)
        if not row.get("cdisc"):
            note = row.get("note") or "no CDISC term"
            self.report("MAP-TEXT-ONLY", f"registry value {value!r} has no CDISC term ({note}): carried as text", path,
                        "info")
            return Code(value, None, None)
        return Code(value, row["cdisc"], row.get("nci") or None)
