"""Terminal output shared by the commands: colour policy, the progress line, diagnostics, interrupts."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import click


def color() -> bool | None:
    """Colour only on a terminal and never when NO_COLOR is set (https://no-color.org)."""
    return False if os.environ.get("NO_COLOR") else None


class Progress:
    """A one-line progress display on stderr (records, records/s, ETA when the total is known).

    Shown only on a terminal; redirected or piped runs stay quiet.
    """

    def __init__(self, enabled: bool, total: int | None = None) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total
        self.count = 0
        self.start = time.perf_counter()
        self.shown = 0.0

    def tick(self) -> None:
        self.count += 1
        now = time.perf_counter()
        if not self.enabled or now - self.shown < 0.2:
            return
        self.shown = now
        rate = self.count / max(now - self.start, 1e-9)
        line = f"{self.count} records, {rate:.0f}/s"
        if self.total and self.count <= self.total:
            eta = int((self.total - self.count) / max(rate, 1e-9))
            line = f"{self.count}/{self.total} records, {rate:.0f}/s, ETA {eta // 60}m{eta % 60:02d}s"
        sys.stderr.write("\r" + line.ljust(60))
        sys.stderr.flush()

    def clear(self) -> None:
        """Erase the progress line (before printing something else on stderr)."""
        if self.enabled and self.shown:
            sys.stderr.write("\r" + " " * 60 + "\r")

    done = clear


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C (exit status 143 instead of 130)."""


def terminate_as_interrupt() -> None:
    """SIGTERM behaves like Ctrl-C: the current write is abandoned cleanly, finished files stay."""
    import signal

    def handler(_signum: int, _frame: Any) -> None:
        raise Terminated

    signal.signal(signal.SIGTERM, handler)


def print_diag(diag: Any, err: bool = True) -> None:
    style = {"error": "red", "warning": "yellow"}.get(diag.severity)
    text = diag.format_text()
    click.echo(click.style(text, fg=style) if style else text, err=err, color=color())


def verbosity(quiet: bool, verbose: bool) -> int:
    """-1 quiet, 0 normal, 1 verbose; ``-q`` with ``-v`` is a usage error."""
    if quiet and verbose:
        raise click.UsageError("-q/--quiet and -v/--verbose contradict each other: give one")
    return -1 if quiet else int(verbose)


def did_you_mean(value: str, choices: Any) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or ``""``."""
    import difflib

    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def rule_codes(values: Any, option: str) -> list[str]:
    """Diagnostic codes given to an option (repeated and/or comma-separated, any case), checked against the
    catalogue (``docs/diagnostics.md``); an unknown code is a usage error."""
    from trialexport.diagnostics import catalogue

    known = catalogue()
    codes = [c.strip().upper() for v in values for c in v.split(",") if c.strip()]
    for code in codes:
        if code not in known:
            raise click.BadParameter(f"unknown rule code {code!r}{did_you_mean(code, known)}; the codes are listed "
                                     "in docs/diagnostics.md", param_hint=option)
    return codes


def targets_from(values: Any) -> list[str]:
    """Output format names from ``--to`` values: repeated and/or comma-separated, any case; a family name (``fhir``,
    ``odm``) means each of its versions, ``all`` every exported format; a typo is a usage error with a suggestion."""
    from trialexport.formats.registry import EXPORTS, FORMATS, NAMES

    families = {f.family.name: [g.name for g in FORMATS if g.family.name == f.family.name and g.export]
                for f in FORMATS}
    families = {name: members for name, members in families.items() if members}
    out: list[str] = []
    for value in values:
        for part in str(value).split(","):
            name = part.strip().lower()
            if not name:
                continue
            found = list(EXPORTS) if name == "all" else families.get(name) or ([name] if name in NAMES else None)
            if found is None:
                choices = [*NAMES, *families, "all"]
                raise click.BadParameter(f"unknown format {part.strip()!r}{did_you_mean(name, choices)}; choose "
                                         f"from {', '.join(choices)}", param_hint="--to")
            out += [n for n in found if n not in out]
    return out
