"""``trialexport convert``: read records, write every requested format."""

from __future__ import annotations

import os
import sys

import click

from trialexport.formats.fhir.versions import BUNDLE_TYPES
from trialexport.formats.registry import NAMES
from trialexport.readers.registry import NAMES as READERS

from .fetch import registry_from, remote_options
from .output import Progress, Terminated, terminate_as_interrupt


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--to", "to", multiple=True, default=("model",), show_default=True, metavar="FORMAT",
              help=f"Output format: {', '.join(NAMES)}; 'fhir' or 'odm' for both versions of a family, 'all' for every "
                   "FHIR and ODM format. Repeat or comma-separate; any case.")
@click.option("-o", "--out", "out", default="-", show_default=True,
              type=click.Path(file_okay=False, allow_dash=True),
              help="Output folder (one file per study and format, named <id>.<format>.<ext>), or '-' for stdout.")
@click.option("--from", "fmt", type=click.Choice(READERS), default=None,
              help="Force the input kind instead of detecting it from the content.")
@click.option("--model-format", type=click.Choice(["json", "yaml"]), default="json", show_default=True,
              help="Serialization of --to model.")
@click.option("--bundle", "bundle_type", type=click.Choice(BUNDLE_TYPES), default="collection",
              show_default=True, help="FHIR Bundle type: collection (a document set), transaction (entries PUT each "
                                      "resource by its stable id, all or nothing on the server) or batch (the same "
                                      "PUTs processed one by one, references written Type/id).")
@click.option("--max-entries", type=click.IntRange(min=2), default=None, metavar="N",
              help="With --bundle transaction|batch: split a study's Bundle of more than N entries into parts "
                   "<id>.fhir-r4.json, <id>.fhir-r4.part-2.json, ... to load in that order (servers cap a "
                   "transaction, e.g. at 50); references across parts are Type/id to resources of earlier parts.")
@click.option("--model-check/--no-model-check", default=False, show_default=True,
              help="Also parse FHIR output with the fhir.resources models: a second opinion after the official "
                   "schema, required elements, choice types, bindings and references (~3 ms per Bundle; the test "
                   "suite proves it rejects nothing those checks accept on broken outputs).")
@click.option("--strict", is_flag=True,
              help="Fail a record when a populated field is not carried by a format with no reason given (a gap). "
                   "Fields left out by design (the reasons of the not-carried tables, shown by --report) never fail.")
@click.option("--allow-not-carried", "allow_file", type=click.Path(dir_okay=False), default=None,
              help="File of fields --strict accepts as not carried: one pattern per line (e.g. "
                   "'extras.protocolSection.statusModule.*', or 'odm-1.3.2:design.*' for one format), '#' comments.")
@click.option("--keep-partial", is_flag=True,
              help="When one format of a record fails, still write its valid formats (default: a record is all or "
                   "nothing, so a folder never holds half a record).")
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
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
              help="Convert on a Dask cluster instead of local processes: tcp://HOST:8786 (a running scheduler; its "
                   "workers need trialexport[dask] installed and must see -o DIR, a shared folder) or local[:N] (start "
                   "N worker processes here). Same outputs, report and exit codes; works with --resume.")
@click.option("--dask-timeout", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="With --dask: a record still converting after SECONDS fails (reported, exit 1; --resume retries "
                   "it) and its worker is restarted; the others go on. 0: no limit. [default: 120]")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only (no warnings, no summary, no progress).")
@click.option("-v", "--verbose", is_flag=True, help="Also print informational notes.")
@remote_options
def convert(
    inputs: tuple[str, ...],
    to: tuple[str, ...],
    out: str,
    fmt: str | None,
    model_format: str,
    bundle_type: str,
    max_entries: int | None,
    model_check: bool,
    strict: bool,
    report_path: str | None,
    report_format: str,
    jobs: int | None,
    resume: bool,
    dask_address: str | None,
    dask_timeout: float | None,
    quiet: bool,
    verbose: bool,
    allow_file: str | None,
    keep_partial: bool,
    api_url: str | None,
    cache_dir: str | None,
    rate: float,
    timeout: float,
    retries: int,
) -> None:
    """Convert registry records to the model, FHIR and/or ODM.

    INPUT is a ClinicalTrials.gov API v2 study (.json), a page of studies ({"studies": [...]}),
    NDJSON, the registry's bulk zip, a study-page text file, or a trial definition in the
    model's shape (YAML/JSON), or a folder of such files (read recursively); '-' reads stdin.
    An NCT id or a ClinicalTrials.gov study URL is fetched from the registry API first (see
    `trialexport fetch`), and another http(s) URL is downloaded. The kind is detected from the
    content. A missing or unreadable input is reported and the others are converted (exit 1).

    Every output is validated against its official schema before it is written; a record
    that fails is reported (file, record, field path, what was expected) and the others go on.
    A record is all or nothing: if one of its formats fails, none is written (--keep-partial).
    With -o -, one record is written as it is; several become NDJSON (one compact JSON
    document per line; XML formats need -o DIR).

    \b
    Examples:
      trialexport convert fixtures/NCT04318600.txt --to all -o out/
      trialexport convert NCT04318600 https://clinicaltrials.gov/study/NCT03311191 --to all -o out/
      trialexport convert tests/data/ctgov-v2/ --to fhir -o out/
      trialexport convert tests/data/ctgov-v2/*.json --to fhir-r5,odm-1.3.2 -o out/
      trialexport convert ctg-studies.json.zip --to all -o out/ --jobs 2 --resume --report report.json
      trialexport convert ctg-studies.json.zip --to all -o /shared/out --dask tcp://scheduler:8786 --resume
      cat study.json | trialexport convert - --to model --model-format yaml
    """
    from trialexport.formats.base import Options
    from trialexport.pipeline import convert_paths
    from trialexport.pipeline.record import read_allow_list
    from trialexport.pipeline.stdout import StdoutConflict
    from trialexport.pipeline.workers import PoolLost

    from .output import targets_from, verbosity
    from .summary import Tally, echo_findings, echo_summary

    level = verbosity(quiet, verbose)
    inputs, fetch_failed = _fetch_remote(inputs, api_url, cache_dir, rate, timeout, retries)
    if not inputs:
        sys.exit(1)
    missing = [i for i in inputs if i != "-" and not os.path.exists(i)]
    if len(missing) == len(inputs):  # among others, a missing input is that input's error and the rest go on
        raise click.BadParameter(f"no such file or folder: {missing[0]!r}", param_hint="INPUTS")
    targets = targets_from(to)
    if out == "-" and len(targets) > 1:
        raise click.UsageError("several formats cannot share stdout: use -o DIR, or one --to with -o -")
    if dask_address and out == "-":
        raise click.UsageError("--dask needs an output folder (-o DIR) that the Dask workers share")
    jobs_given = click.get_current_context().get_parameter_source("jobs") == click.core.ParameterSource.COMMANDLINE
    if dask_address and jobs_given:
        click.echo("warning: --jobs has no effect with --dask: the cluster's workers convert", err=True)
    if dask_timeout is not None and not dask_address:
        click.echo("warning: --dask-timeout has no effect without --dask", err=True)
    if resume and out == "-":
        raise click.UsageError("--resume needs an output folder (-o DIR): there is nothing to resume on stdout")
    _warn_unused(targets, model_format, bundle_type)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch and not epoch.isdigit():
        raise click.UsageError(f"SOURCE_DATE_EPOCH must be a number of seconds, got {epoch!r}")
    processes = jobs or os.cpu_count() or 1
    if processes > 1 and not dask_address:  # worker processes: a time limit from the environment
        from trialexport.pipeline.workers import TIMEOUT, TIMEOUT_VARIABLE, env_seconds

        try:
            env_seconds(TIMEOUT_VARIABLE, TIMEOUT)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    allow: tuple[str, ...] = ()
    if allow_file:
        try:
            allow = read_allow_list(allow_file)
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(f"cannot read {allow_file!r}: {getattr(exc, 'strerror', None) or exc}",
                                     param_hint="--allow-not-carried") from None
    if out != "-":
        _writable_folder(out, "output folder")
    if report_path:
        report_dir = os.path.dirname(os.path.abspath(report_path))
        if not os.path.isdir(report_dir):
            raise click.BadParameter(f"folder of {report_path!r} does not exist", param_hint="--report")
        _writable_folder(report_dir, "folder of --report")
    if max_entries and bundle_type == "collection":
        raise click.UsageError("--max-entries splits what a server loads: use it with --bundle transaction or batch")
    options = Options(bundle_type=bundle_type, model_format=model_format, model_check=model_check,
                      max_entries=max_entries,
                      source_date_epoch=int(epoch) if epoch and epoch.isdigit() else None)
    from trialexport.pipeline.batch import estimate_records

    progress = Progress(level >= 0, estimate_records(inputs) if sys.stderr.isatty() else None)
    tally = Tally(verbose=level > 0, quiet=level < 0)
    outcomes = []
    terminate_as_interrupt()
    report_stream = sys.stdout if out != "-" else sys.stderr
    pool = _dask_pool(dask_address, dask_timeout) if dask_address else None
    running = convert_paths(inputs, targets, out, options, fmt=fmt, strict=strict, stdout=sys.stdout.buffer,
                            jobs=processes, resume=resume, keep_partial=keep_partial, allow=allow,
                            full_coverage=bool(report_path) or report_format == "json", pool=pool)
    try:
        for outcome in running:
            progress.tick()
            shown = tally.add(outcome)
            if report_format == "text" and shown:
                progress.clear()
                echo_findings(shown)
            if report_path or report_format == "json":
                outcomes.append(outcome.to_dict())
    except StdoutConflict as exc:
        running.close()
        raise click.UsageError(str(exc)) from None
    except PoolLost as exc:
        running.close()
        progress.done()
        click.echo(f"error: {exc} ({tally.records} record(s) done): files already written are complete; re-run the "
                   "same command with --resume to convert the rest", err=True)
        sys.exit(1)
    except KeyboardInterrupt as exc:
        running.close()  # stops the workers, so none is still writing a temporary file
        progress.done()
        if out != "-":
            from trialexport.pipeline.resume import remove_stale_parts

            remove_stale_parts(out)  # temporary files staged for records the interrupt caught before commit
        click.echo("interrupted: files already written are complete; re-run with --resume to finish", err=True)
        sys.exit(143 if isinstance(exc, Terminated) else 130)
    progress.done()
    report_failed = False
    if report_path:
        import orjson

        from trialexport.atomic import write_atomic

        try:
            write_atomic(report_path, orjson.dumps({"records": outcomes}, option=orjson.OPT_INDENT_2) + b"\n")
        except OSError as exc:
            click.echo(f"{report_path}: error IO-WRITE: cannot write the report: {exc.strerror or exc}", err=True)
            report_failed = True
    if report_format == "json":
        import orjson

        summary = {"records": tally.records, "failed": tally.failed, "files": dict(tally.files),
                   "codes": {f"{sev} {code}": n for (sev, code), n in sorted(tally.codes.items())},
                   "results": outcomes}
        click.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode(), file=report_stream)
    elif level >= 0:
        echo_summary(tally.summary(out))
    sys.exit(1 if tally.failed or tally.records == 0 or report_failed or fetch_failed else 0)


def _fetch_remote(inputs: tuple[str, ...], api_url: str | None, cache_dir: str | None, rate: float,
                  timeout: float, retries: int) -> tuple[tuple[str, ...], int]:
    """Inputs with the registry ids and URLs among them fetched into a temporary folder (removed when the command
    ends); how many could not be fetched (each reported on one line)."""
    import tempfile
    from pathlib import Path

    from trialexport.remote.ctgov import looks_remote
    from trialexport.remote.inputs import fetch_inputs

    remote = [i for i in inputs if i != "-" and not os.path.exists(i) and looks_remote(i)]
    if not remote:
        return inputs, 0
    folder = tempfile.TemporaryDirectory(prefix="trialexport-fetch-")
    click.get_current_context().call_on_close(folder.cleanup)
    registry = registry_from(api_url, cache_dir, rate, timeout, retries)
    with registry.client:
        paths, failures = fetch_inputs(remote, Path(folder.name), registry)
    for raw, exc in failures:
        click.echo(f"{raw}: error {exc.code}: {exc.message}", err=True)
    fetched = iter(paths)
    failed = {raw for raw, _ in failures}
    local = tuple(next(fetched) if i in remote else i for i in inputs if i not in failed)
    return local, len(failures)


def _dask_pool(address: str, timeout: float | None) -> object:
    """Workers of the Dask cluster at ``address`` (closed with the command; ``timeout`` seconds per record, default
    :data:`.dask_run.RECORD_TIMEOUT`, 0 none), or a usage error in one line."""
    from trialexport.pipeline.dask_run import RECORD_TIMEOUT, DaskUnavailable, DaskWorkers, connect

    try:
        client = click.get_current_context().with_resource(connect(address))
    except DaskUnavailable as exc:
        raise click.UsageError(str(exc)) from None
    return DaskWorkers(client, timeout=RECORD_TIMEOUT if timeout is None else timeout)


def _warn_unused(targets: list[str], model_format: str, bundle_type: str) -> None:
    """Options that would do nothing with these formats: say so rather than ignore them silently."""
    from trialexport.formats.registry import get

    ctx = click.get_current_context()
    families = {get(t).family.name for t in targets}
    given = ctx.get_parameter_source("model_format") == click.core.ParameterSource.COMMANDLINE
    if given and model_format != "json" and "model" not in families:
        click.echo(f"warning: --model-format {model_format} has no effect: no --to model", err=True)
    if ctx.get_parameter_source("bundle_type") == click.core.ParameterSource.COMMANDLINE and "fhir" not in families:
        click.echo(f"warning: --bundle {bundle_type} has no effect: no FHIR format in --to", err=True)


def _writable_folder(folder: str, what: str) -> None:
    """Create ``folder`` if needed and make sure files can be written in it, or stop with one clear line (exit 1)."""
    import tempfile

    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".trialexport-probe."):
            pass
    except OSError as exc:
        click.echo(f"{folder}: error IO-WRITE: cannot write to the {what}: {exc.strerror or exc}", err=True)
        sys.exit(1)
