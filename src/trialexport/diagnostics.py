"""Structured diagnostics shared by readers, mappers, writers and validators.

Every problem the tool reports is a :class:`Diagnostic`: a stable code grouped by
stage (``READ``, ``MODEL``, ``MAP``, ``FHIR``, ``ODM``, ``XML``, ``IO``), a severity,
where it happened (file, record, field path, line/col) and a one-line message. Every code is
listed, with its stage, default severity and meaning, in ``diagnostic-codes.csv`` beside this
module (:func:`catalogue`; rendered into ``docs/diagnostics.md``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: what went wrong (or was noticed), and exactly where."""

    severity: Severity
    code: str
    message: str
    file: str | None = None
    record: str | None = None
    path: str | None = None
    line: int | None = None
    col: int | None = None
    target: str | None = None  # output format(s) the finding is about, e.g. "odm-1.3.2, odm-2.0"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def located(self, *, file: str | None = None, record: str | None = None) -> Diagnostic:
        """Return a copy with file/record filled in where they are still unknown."""
        return Diagnostic(
            self.severity,
            self.code,
            self.message,
            self.file if self.file is not None else file,
            self.record if self.record is not None else record,
            self.path,
            self.line,
            self.col,
            self.target,
        )

    def format_text(self) -> str:
        """One line: ``file:line:col: record: path: severity CODE: message [targets]``."""
        where = self.file or "-"
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        parts = [where]
        if self.record:
            parts.append(f"record {self.record}")
        if self.path:
            parts.append(self.path)
        text = f"{': '.join(parts)}: {self.severity} {self.code}: {self.message}"
        return f"{text} [{self.target}]" if self.target else text

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class TrialExportError(Exception):
    """An expected failure carrying a diagnostic (bad input, invalid output, ...)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def error(code: str, message: str, **where: object) -> Diagnostic:
    """Shorthand for an error diagnostic."""
    return Diagnostic("error", code, message, **where)  # type: ignore[arg-type]


def warning(code: str, message: str, **where: object) -> Diagnostic:
    """Shorthand for a warning diagnostic."""
    return Diagnostic("warning", code, message, **where)  # type: ignore[arg-type]


def info(code: str, message: str, **where: object) -> Diagnostic:
    """Shorthand for an informational diagnostic (a choice worth knowing, nothing lost)."""
    return Diagnostic("info", code, message, **where)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One entry of the diagnostic-code catalogue."""

    code: str
    stage: str
    severity: Severity
    meaning: str


def catalogue() -> dict[str, CodeInfo]:
    """Every diagnostic code the tool emits: ``{code: CodeInfo}`` from ``diagnostic-codes.csv``, in its order."""
    import csv
    from pathlib import Path

    with (Path(__file__).parent / "diagnostic-codes.csv").open(encoding="utf-8", newline="") as fh:
        return {r["code"]: CodeInfo(r["code"], r["stage"], r["severity"], r["meaning"])  # type: ignore[arg-type]
                for r in csv.DictReader(fh)}
