"""What every mapping run has: the trial as plain data, the findings (each reported once per code and path), and
code lookups through the crosswalks that keep unknown values as text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trialexport.diagnostics import Diagnostic, Severity

from . import crosswalk
from .crosswalk import Code


@dataclass
class MapContext:
    """State shared by the transforms of one mapping run (one trial, one target version)."""

    data: dict[str, Any]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set)

    def report(self, code: str, message: str, path: str, severity: Severity = "warning") -> None:
        """Record a finding once per (code, path)."""
        if (code, path) not in self._seen:
            self._seen.add((code, path))
            self.diagnostics.append(Diagnostic(severity, code, message, path=path))

    def code(self, table: str, value: str, path: str) -> Code | None:
        """The crosswalk entry of a registry value; an unknown value is reported (MAP-UNKNOWN-CODE) and gives
        ``None``, so the caller keeps it as text."""
        found = crosswalk.code(table, value)
        if found is None:
            self.report("MAP-UNKNOWN-CODE", crosswalk.unknown_message(table, value), path)
        return found
