"""``trialexport validate``: detect what each file is and check it."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from trialexport.formats.registry import family

from .output import Progress, color, rule_codes, verbosity


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "out_format", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="Findings as text lines, one JSON document, or GitHub annotations.")
@click.option("--fhir-version", type=click.Choice(family("fhir").versions), default=None,
              help="Treat FHIR files as this version instead of detecting it.")
@click.option("--skip-unknown", is_flag=True,
              help="Skip files of no known kind (and say so) instead of failing on them.")
@click.option("--max-findings", type=click.IntRange(min=0), default=20, show_default=True,
              help="Findings printed per file (then 'N more findings'); 0 prints them all. JSON output has them all.")
@click.option("--warn", "warn_codes", multiple=True, metavar="CODE",
              help="Report this rule code as a warning (does not make a file invalid); repeat or comma-separate.")
@click.option("--ignore", "ignore_codes", multiple=True, metavar="CODE", help="Do not report this rule code at all.")
@click.option("-q", "--quiet", is_flag=True, help="Errors only: no warnings, no per-file kind lines.")
@click.option("-v", "--verbose", is_flag=True, help="Also print information notes and every file's kind, even valid.")
def validate(paths: tuple[str, ...], out_format: str, fhir_version: str | None, skip_unknown: bool,
             max_findings: int, warn_codes: tuple[str, ...], ignore_codes: tuple[str, ...], quiet: bool,
             verbose: bool) -> None:
    """Validate FHIR JSON, CDISC ODM XML, trial definitions and ClinicalTrials.gov records.

    PATH may be a file, a folder (searched recursively for .json/.ndjson/.xml/.yaml/.yml), a glob, or '-' (stdin;
    NDJSON is read line by line). Each file's kind is detected and shown with the reason (FHIR R5 vs R4, ODM 1.3.2
    vs 2.0, Define-XML, Dataset-XML, trial definition, registry record) and checked with the validators the
    exporters use. A registry record or trial definition is converted as `convert` would, so its warnings show.
    Every file is counted as valid, invalid or skipped (a kind trialexport cannot validate, e.g. Define-XML, or,
    with --skip-unknown, an unknown kind). Exit 1 if a file is invalid, 2 on a usage error.

    \b
    Examples:
      trialexport validate out/
      trialexport validate 'fixtures/**/*.json' --format github
      trialexport validate --fhir-version r4 package/ --max-findings 5
      trialexport validate study/ --warn ODM-OIDREF --skip-unknown
      trialexport convert studies.zip --to fhir-r5 -o - | trialexport validate -
    """
    from trialexport.validate_files import expand, validate_file

    level = verbosity(quiet, verbose)
    severities = {code: "warning" for code in rule_codes(warn_codes, "--warn")}
    severities.update({code: "ignore" for code in rule_codes(ignore_codes, "--ignore")})
    files = list(expand(paths))
    missing = [f for f in files if f != "-" and not os.path.exists(f)]
    if missing or not files:
        raise click.UsageError(f"no such file: {missing[0]}" if missing else "no files to validate")
    progress = Progress(out_format == "text" and level >= 0)
    results = []
    counts = {"valid": 0, "invalid": 0, "skipped": 0}
    for path in files:
        result = validate_file(path, fhir_version=fhir_version, skip_unknown=skip_unknown, severities=severities)
        progress.tick()
        counts[result.status] += 1
        if out_format == "json":
            results.append(result.to_dict())
            continue
        shown = [d for d in result.findings if d.is_error or (d.severity == "warning" and level >= 0)
                 or (d.severity == "info" and level > 0)]
        if shown or level >= 0:
            progress.clear()
            _print_file(result, shown, out_format, max_findings, level)
    progress.done()
    if out_format == "json":
        import orjson

        click.echo(orjson.dumps({"files": len(files), **counts, "results": results},
                                option=orjson.OPT_INDENT_2).decode())
    elif level >= 0:
        click.echo(f"{len(files)} file(s): {counts['valid']} valid, {counts['invalid']} invalid, "
                   f"{counts['skipped']} skipped", err=True)
    sys.exit(1 if counts["invalid"] else 0)


def _print_file(result: Any, shown: list[Any], out_format: str, max_findings: int, level: int) -> None:
    """One file's kind line (text), then its findings, at most ``max_findings`` of them, then how many more."""
    cut = shown if not max_findings else shown[:max_findings]
    if out_format == "github":
        if result.status == "skipped" or level > 0:
            click.echo(f"::notice file={result.path},title={result.status}: {result.kind}::{result.reason or 'ok'}")
        for d in cut:
            where = ",".join(f"{k}={v}" for k, v in (("file", d.file), ("line", d.line), ("col", d.col)) if v)
            level_name = {"info": "notice"}.get(d.severity, d.severity)
            click.echo(f"::{level_name} {where},title={d.code} ({result.kind})::"
                       f"{(d.path + ': ') if d.path else ''}{d.message}")
    else:
        status = {"valid": "ok", "invalid": "INVALID", "skipped": "skipped"}[result.status]
        line = f"{result.path}: {status}: {result.kind}" + (f": {result.reason}" if result.reason else "")
        style = {"invalid": "red", "skipped": "yellow"}.get(result.status)
        click.echo(click.style(line, fg=style, bold=True) if style else line, color=color())
        for d in cut:
            if d.code == "VALIDATE-SKIP":
                continue
            text = d.format_text()
            fg = {"error": "red", "warning": "yellow"}.get(d.severity)
            click.echo(click.style(text, fg=fg) if fg else text, color=color())
    if len(shown) > len(cut):
        more = len(shown) - len(cut)
        click.echo(f"{result.path}: {more} more finding(s) (--max-findings 0 shows all)")
