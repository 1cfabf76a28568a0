"""``trialexport convert``: read records, write every requested format."""

from __future__ import annotations

import os
import sys

import click

from trialexport.formats.registry import NAMES
from trialexport.readers.registry import NAMES as READERS

from .output import Progress, Terminated, print_diag, terminate_as_interrupt


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--to", "to", multiple=True, default=("model",), show_default=True, type=click.Choice([*NAMES, "all"]),
              help="Output format; repeat for several. 'all' = every FHIR and ODM format.")
@click.option("-o", "--out", "out", default="-", show_default=True,
              type=click.Path(file_okay=False, allow_dash=True),
              help="Output folder (one file per study and format, named <id>.<format>.<ext>), or '-' for stdout.")
@click.option("--from", "fmt", type=click.Choice(READERS), default=None,
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
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, envvar="TRIALEXPORT_JOBS",
              help="Worker processes for mapping and validation [default: number of cores; environment variable "
                   "TRIALEXPORT_JOBS]. Output is the same bytes, in the same order, whatever the number.")
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
    from trialexport.formats.base import Options
    from trialexport.formats.registry import EXPORTS
    from trialexport.pipeline import convert_paths

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
    from trialexport.pipeline.batch import estimate_records

    progress = Progress(not quiet, estimate_records(inputs) if sys.stderr.isatty() else None)
    outcomes = []
    failed = skipped = 0
    terminate_as_interrupt()
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
                    print_diag(diag)
            if report_path or report_format == "json":
                outcomes.append(outcome.to_dict())
    except KeyboardInterrupt as exc:
        running.close()  # stops the workers, so none is still writing a temporary file
        progress.done()
        if out != "-":
            from trialexport.pipeline.resume import remove_stale_parts

            remove_stale_parts(out)  # temporary files staged for records the interrupt caught before commit
        click.echo("interrupted: files already written are complete; re-run with --resume to finish", err=True)
        sys.exit(143 if isinstance(exc, Terminated) else 130)
    progress.done()
    total = progress.count
    if report_path:
        import orjson

        from trialexport.atomic import write_atomic

        write_atomic(report_path, orjson.dumps({"records": outcomes}, option=orjson.OPT_INDENT_2) + b"\n")
    if report_format == "json":
        import orjson

        summary = {"records": total, "failed": failed, "results": outcomes}
        click.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode(), file=report_stream)
    elif not quiet:
        click.echo(f"{total - failed} of {total} record(s) converted" + (f", {failed} failed" if failed else "")
                   + (f" ({skipped} already current, skipped)" if skipped else ""), err=True)
    sys.exit(1 if failed or total == 0 else 0)
