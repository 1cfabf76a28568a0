"""What ``convert`` tells the user as it goes and at the end: repeated warnings grouped, a compact summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import click

from trialexport.pipeline.record import PART

from .output import print_diag


@dataclass
class Tally:
    """Counts over a run: records, files per format, findings by code, fields not carried (by design, gaps)."""

    verbose: bool = False
    quiet: bool = False
    records: int = 0
    failed: int = 0
    skipped: int = 0
    files: Counter[str] = field(default_factory=Counter)
    codes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (severity, code) -> occurrences
    messages: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # distinct messages per (severity, code)
    printed: set[tuple[str, str, str]] = field(default_factory=set)
    held_back: int = 0  # repeated warnings not printed again
    by_design: Counter[str] = field(default_factory=Counter)  # field not carried by design -> records
    gaps: Counter[str] = field(default_factory=Counter)  # field not carried with no reason -> records
    sections: Counter[str] = field(default_factory=Counter)  # whole source sections left out -> records

    def add(self, outcome: Any) -> list[Any]:
        """Count one record's outcome; return the findings to print now (each distinct warning once, unless -v)."""
        self.records += 1
        self.failed += not outcome.ok
        self.skipped += outcome.skipped
        for key, where in outcome.written.items():
            if where:
                self.files[key.partition(PART)[0]] += 1  # a split Bundle's parts are files of its format
        show = []
        for d in outcome.diagnostics:
            key = (d.severity, d.code)
            self.codes[key] += 1
            self.messages.setdefault(key, set()).add(d.message)
            if d.is_error:
                show.append(d)
            elif not self.quiet and (d.severity == "warning" or self.verbose):
                if self.verbose or (d.severity, d.code, d.message) not in self.printed:
                    self.printed.add((d.severity, d.code, d.message))
                    show.append(d)
                else:
                    self.held_back += 1
        by_design: set[str] = set()
        gaps: set[str] = set()
        for cov in outcome.coverage.values():
            gap_paths = set(cov.get("gaps", ()))
            gaps |= gap_paths
            by_design |= set(cov.get("not_carried", {})) - gap_paths
        for path in by_design:
            self.by_design[path] += 1
            if path.startswith("extras.") and path.count(".") == 1:
                self.sections[path[len("extras."):]] += 1
        for path in gaps:
            self.gaps[path] += 1
        return show

    def summary(self, out: str) -> list[str]:
        """The closing lines: records, where the files went, warnings by code, fields not carried."""
        done = self.records - self.failed
        head = f"{done} of {self.records} record(s) converted" + (f", {self.failed} failed" if self.failed else "")
        if self.skipped:
            head += f" ({self.skipped} already current, skipped)"
        lines = [head]
        if self.files:
            where = "stdout" if out == "-" else out
            lines.append(f"  files: {', '.join(f'{t} {n}' for t, n in sorted(self.files.items()))} -> {where}")
        for severity in ("error", "warning"):
            found = sorted(((n, code) for (sev, code), n in self.codes.items() if sev == severity), reverse=True)
            if found:
                parts = [f"{code} {n}" + (f" ({len(self.messages[(severity, code)])} distinct)"
                                          if len(self.messages[(severity, code)]) > 1 else "") for n, code in found]
                lines.append(f"  {severity}s: {sum(n for n, _ in found)} ({', '.join(parts)})")
        if self.held_back:
            lines.append(f"  {self.held_back} repeated warning(s) not printed again (-v prints every one)")
        if self.sections:
            lines.append("  whole source sections not carried (outside the trial model): "
                         + ", ".join(f"{s} in {n} record(s)" for s, n in sorted(self.sections.items())))
        if self.by_design:
            lines.append(f"  fields not carried by design: {len(self.by_design)} distinct (--report FILE says why)")
        if self.gaps:
            top = ", ".join(f"{p} ({n})" for p, n in self.gaps.most_common(3))
            lines.append(f"  fields not carried with no reason (gaps): {len(self.gaps)} distinct, e.g. {top}")
        return lines


def echo_findings(found: list[Any]) -> None:
    for d in found:
        print_diag(d)


def echo_summary(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)
