"""Command line: thin click wrappers around the library (parsing options and printing only).

Exit codes: 0 all records succeeded, 1 some record failed or is invalid, 2 usage error.
Diagnostics go to stderr (or stdout as JSON with ``--format json`` when outputs are files).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import click

from . import __version__
from .formats.registry import NAMES, family


def _color() -> bool | None:
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


def _terminate_as_interrupt() -> None:
    """SIGTERM behaves like Ctrl-C: the current write is abandoned cleanly, finished files stay."""
    import signal

    def handler(_signum: int, _frame: Any) -> None:
        raise Terminated

    signal.signal(signal.SIGTERM, handler)


def _print_diag(diag: Any, err: bool = True) -> None:
    style = {"error": "red", "warning": "yellow"}.get(diag.severity)
    text = diag.format_text()
    click.echo(click.style(text, fg=style) if style else text, err=err, color=_color())


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="trialexport")
def main() -> None:
    """Turn clinical-trial registry records into FHIR R5/R4 and CDISC ODM, and prove every file is valid.

    \b
    Examples:
      trialexport convert fixtures/NCT04318600.txt --to model -o out/
      trialexport convert studies.zip --to all -o out/
      trialexport convert NCT01234567.json --to model -o -
    """


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--to", "to", multiple=True, default=("model",), show_default=True, type=click.Choice([*NAMES, "all"]),
              help="Output format; repeat for several. 'all' = every FHIR and ODM format.")
@click.option("-o", "--out", "out", default="-", show_default=True,
              type=click.Path(file_okay=False, allow_dash=True),
              help="Output folder (one file per study and format, named <id>.<format>.<ext>), or '-' for stdout.")
@click.option("--from", "fmt", type=click.Choice(["ctgov", "page", "model"]), default=None,
              help="Force the input kind instead of detecting it from the content.")
@click.option("--model-format", type=click.Choice(["json", "yaml"]), default="json", show_default=True,
              help="Serialization of --to model.")
@click.option("--bundle", "bundle_type", type=click.Choice(["collection", "transaction"]), default="collection",
              show_default=True, help="FHIR Bundle type; transaction entries PUT each resource by its stable id.")
@click.option("--model-check/--no-model-check", default=False, show_default=True,
              help="Also parse FHIR output with the fhir.resources models: a second opinion after the official "
                   "schema, required elements, choice types, bindings and references (~3 ms per Bundle; the test "
                   "suite proves it rejects nothing those checks accept on broken outputs).")
@click.option("--strict", is_flag=True, help="Fail a record when a populated field is not carried by a format.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write a JSON report per record and format: fields mapped, not carried (and why), warnings.")
@click.option("--format", "report_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How diagnostics are printed: text lines on stderr, or one JSON document.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes for mapping and validation [default: number of cores]. Output is the same "
                   "bytes, in the same order, whatever the number.")
@click.option("--resume", is_flag=True,
              help="Skip studies whose outputs in -o DIR are already current (newer than the input and the tool); "
                   "use it to finish an interrupted run.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only (no warnings, no summary, no progress).")
@click.option("-v", "--verbose", is_flag=True, help="Also print informational notes.")
def convert(
    inputs: tuple[str, ...],
    to: tuple[str, ...],
    out: str,
    fmt: str | None,
    model_format: str,
    bundle_type: str,
    model_check: bool,
    strict: bool,
    report_path: str | None,
    report_format: str,
    jobs: int | None,
    resume: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Convert registry records to the model, FHIR and/or ODM.

    INPUT is a ClinicalTrials.gov API v2 study (.json), a page of studies ({"studies": [...]}),
    NDJSON, the registry's bulk zip, a study-page text file, or a trial definition in the
    model's shape (YAML/JSON); '-' reads stdin. The kind is detected from the content.

    Every output is validated against its official schema before it is written; a record
    that fails is reported (file, record, field path, what was expected) and the others go on.

    \b
    Examples:
      trialexport convert fixtures/NCT04318600.txt --to all -o out/
      trialexport convert tests/data/ctgov-v2/*.json --to fhir-r5 --to odm-1.3.2 -o out/
      trialexport convert ctg-studies.json.zip --to all -o out/ --jobs 2 --resume --report report.json
      cat study.json | trialexport convert - --to model --model-format yaml
    """
    from .convert import convert_paths
    from .formats.base import Options
    from .formats.registry import EXPORTS

    if report_path and not os.path.isdir(os.path.dirname(os.path.abspath(report_path))):
        raise click.BadParameter(f"folder of {report_path!r} does not exist", param_hint="--report")

    targets: list[str] = []
    for t in to:
        for name in EXPORTS if t == "all" else (t,):
            if name not in targets:
                targets.append(name)
    if out == "-" and len(targets) > 1:
        raise click.UsageError("several formats cannot share stdout: use -o DIR, or one --to with -o -")
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch and not epoch.isdigit():
        raise click.UsageError(f"SOURCE_DATE_EPOCH must be a number of seconds, got {epoch!r}")
    options = Options(bundle_type=bundle_type, model_format=model_format, model_check=model_check,
                      source_date_epoch=int(epoch) if epoch and epoch.isdigit() else None)
    from .convert import estimate_records

    progress = Progress(not quiet, estimate_records(inputs) if sys.stderr.isatty() else None)
    outcomes = []
    failed = skipped = 0
    _terminate_as_interrupt()
    report_stream = sys.stdout if out != "-" else sys.stderr
    running = convert_paths(inputs, targets, out, options, fmt=fmt, strict=strict, stdout=sys.stdout.buffer,
                            jobs=jobs or os.cpu_count() or 1, resume=resume)
    try:
        for outcome in running:
            progress.tick()
            failed += not outcome.ok
            skipped += outcome.skipped
            if report_format == "text":
                shown = [d for d in outcome.diagnostics
                         if d.is_error or (not quiet and (d.severity == "warning" or verbose))]
                if shown:
                    progress.clear()
                for diag in shown:
                    _print_diag(diag)
            if report_path or report_format == "json":
                outcomes.append(outcome.to_dict())
    except KeyboardInterrupt as exc:
        running.close()  # stops the workers, so none is still writing a temporary file
        progress.done()
        if out != "-":
            from .convert import remove_stale_parts

            remove_stale_parts(out)  # temporary files staged for records the interrupt caught before commit
        click.echo("interrupted: files already written are complete; re-run with --resume to finish", err=True)
        sys.exit(143 if isinstance(exc, Terminated) else 130)
    progress.done()
    total = progress.count
    if report_path:
        import orjson

        from .atomic import write_atomic

        write_atomic(report_path, orjson.dumps({"records": outcomes}, option=orjson.OPT_INDENT_2) + b"\n")
    if report_format == "json":
        import orjson

        summary = {"records": total, "failed": failed, "results": outcomes}
        click.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode(), file=report_stream)
    elif not quiet:
        click.echo(f"{total - failed} of {total} record(s) converted" + (f", {failed} failed" if failed else "")
                   + (f" ({skipped} already current, skipped)" if skipped else ""), err=True)
    sys.exit(1 if failed or total == 0 else 0)


@main.command()
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
    from .validate_files import expand, validate_file

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


@main.command()
@click.option("--dir", "root", type=click.Path(file_okay=False, exists=True), default="fixtures", show_default=True,
              help="The fixture folder (holding cases.csv).")
@click.option("--check", "mode", flag_value="check", default=True,
              help="Regenerate into a temporary folder and compare byte for byte (the default).")
@click.option("--update", "mode", flag_value="update", help="Rewrite the expected outputs.")
def fixtures(root: str, mode: str) -> None:
    """Check or update the interoperability fixtures (expected outputs of every format).

    Exit 1 when a committed expected output is stale: an input, a mapping table or the code
    changed and the fixtures were not regenerated.

    \b
    Examples:
      trialexport fixtures --check
      trialexport fixtures --update && git diff --stat fixtures/
    """
    from pathlib import Path

    from . import fixtures as fx

    problems = fx.update(Path(root)) if mode == "update" else fx.check(Path(root))
    for line in problems:
        click.echo(line)
    if mode == "check":
        click.echo("fixtures are current" if not problems else f"{len(problems)} fixture problem(s): "
                   "run `trialexport fixtures --update` and review the diff", err=True)
    sys.exit(1 if problems else 0)


@main.command()
@click.option("--check", is_flag=True, help="Do not write; exit 1 if a generated file is stale.")
def generate(check: bool) -> None:
    """Regenerate the files derived from code and tables, in the source checkout you are in.

    They are schemas/trial-model.schema.json, docs/mapping.md and fixtures/README.md.

    \b
    Example:
      trialexport generate --check
    """
    from trialexport.devtools.generated import generate_all, project_root

    root = project_root()
    if root is None:
        raise click.UsageError("not inside a trialexport source checkout (no pyproject.toml with mappings/ found)")
    stale = generate_all(check=check, root=root)
    for path in stale:
        click.echo(f"{'stale' if check else 'wrote'}: {path}", err=True)
    sys.exit(1 if check and stale else 0)
