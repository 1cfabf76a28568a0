"""``trialexport validate``: detect what each file is and check it."""

from __future__ import annotations

import os
import sys

import click

from trialexport.formats.registry import family

from .output import Progress


@click.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "out_format", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="Findings as text lines, one JSON document, or GitHub annotations.")
@click.option("--fhir-version", type=click.Choice(family("fhir").versions), default=None,
              help="Treat FHIR files as this version instead of detecting it.")
@click.option("--skip-unknown", is_flag=True, help="Ignore files of no known kind instead of failing on them.")
def validate(paths: tuple[str, ...], out_format: str, fhir_version: str | None, skip_unknown: bool) -> None:
    """Validate FHIR JSON, ODM XML, trial definitions and ClinicalTrials.gov records.

    PATH may be a file, a folder (searched recursively for .json/.xml/.yaml/.yml), a glob, or '-' (stdin).
    Each file's kind is detected (FHIR R5 vs R4, ODM 1.3.2 vs 2.0, model, registry record) and
    checked with the same validators the exporters use; schemas are compiled once per run.
    Findings go to stdout as file:line:col, path, code and message; exit 1 if there are any.

    \b
    Examples:
      trialexport validate out/
      trialexport validate 'fixtures/**/*.json' --format github
    """
    from trialexport.validate_files import expand, validate_file

    files = list(expand(paths))
    missing = [f for f in files if f != "-" and not os.path.exists(f)]
    if missing or not files:
        raise click.UsageError(f"no such file: {missing[0]}" if missing else "no files to validate")
    progress = Progress(out_format != "github")
    results = []
    bad = 0
    for path in files:
        findings = validate_file(path, fhir_version=fhir_version, skip_unknown=skip_unknown)
        progress.tick()
        bad += bool(findings)
        if out_format == "json":
            results.append({"file": path, "valid": not findings, "findings": [d.to_dict() for d in findings]})
            continue
        for d in findings:
            if out_format == "github":
                where = ",".join(f"{k}={v}" for k, v in (("file", d.file), ("line", d.line), ("col", d.col)) if v)
                click.echo(f"::{d.severity} {where},title={d.code}::{(d.path + ': ') if d.path else ''}{d.message}")
            else:
                click.echo(d.format_text())
    progress.done()
    if out_format == "json":
        import orjson

        click.echo(orjson.dumps({"files": len(files), "invalid": bad, "results": results},
                                option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(f"{len(files) - bad} of {len(files)} file(s) valid", err=True)
    sys.exit(1 if bad else 0)
