"""``trialexport push``: load FHIR Bundles (transaction or batch, split parts included) into a FHIR server."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .output import Progress, verbosity


def _headers(values: tuple[str, ...]) -> dict[str, str]:
    from trialexport.remote.fhir_server import ENV_TOKEN

    headers = {}
    token = os.environ.get(ENV_TOKEN)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip() or any(c.isspace() for c in name.strip()):
            raise click.BadParameter(f"{name.strip() or value!r}: expected 'Name: value'", param_hint="--header")
        headers[name.strip()] = content.strip()
    return headers


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--server", required=True, metavar="URL", help="The FHIR server's base URL, e.g. http://localhost:8080/fhir.")
@click.option("--max-entries", type=click.IntRange(min=1), default=None, metavar="N",
              help="Re-split a Bundle of more than N entries into parts sent in loading order (what is referenced "
                   "first), as convert --max-entries does; for servers that cap a transaction.")
@click.option("--bundle", "bundle_type", type=click.Choice(["as-is", "batch"]), default="as-is", show_default=True,
              help="'batch': send transaction Bundles as batch Bundles (references made literal Type/id), for "
                   "servers without transactions.")
@click.option("--header", "header_values", multiple=True, metavar="'NAME: VALUE'",
              help="An HTTP header for every request (repeatable). Environment variable TRIALEXPORT_FHIR_TOKEN: "
                   "sent as 'Authorization: Bearer ...'. Header values are never printed.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=120.0, show_default=True,
              help="Seconds to wait for a connection or an answer.")
@click.option("--retries", type=click.IntRange(min=0), default=4, show_default=True,
              help="Retries after a network failure, 429 or 5xx (waiting as Retry-After says, else 1 s, doubling).")
@click.option("--dry-run", is_flag=True, help="Say what would be sent (Bundles, parts, entries); send nothing.")
@click.option("--format", "report_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How the outcome is reported: text lines on stderr, or one JSON document on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
def push(paths: tuple[Path, ...], server: str, max_entries: int | None, bundle_type: str,
         header_values: tuple[str, ...], timeout: float, retries: int, dry_run: bool, report_format: str,
         quiet: bool) -> None:
    """Load FHIR Bundles into a FHIR server: POST each transaction (or batch) Bundle to the server base.

    PATHS are *.fhir-r4.json / *.fhir-r5.json files or folders of them (searched recursively) written by
    `convert --bundle transaction|batch`; the parts of a split Bundle (<id>.fhir-r4.part-2.json, ...) are sent
    after their part 1, in order. The server's /metadata fhirVersion is checked against the files first.
    Every resource is PUT by its stable id, so pushing the same files twice changes no resource counts.

    \b
    Examples:
      trialexport convert records/ --to fhir-r4 --bundle transaction -o out/
      trialexport push out/ --server http://localhost:8080/fhir --max-entries 50
      TRIALEXPORT_FHIR_TOKEN=... trialexport push out/NCT04318600.fhir-r4.json --server https://fhir.example.org/r4
      trialexport push out/ --server URL --bundle batch --dry-run

    Reported per Bundle: HTTP status, entries created (201) and updated (200), and every warning or error
    issue of the server's OperationOutcomes, one line each with its entry. One failed Bundle does not stop the rest.
    Exit status: 0 all accepted, 1 a Bundle refused or failed (or a FHIR version mismatch), 2 usage error.
    """
    import orjson

    from trialexport.formats.fhir.versions import release_of_name
    from trialexport.remote.fhir_server import Sent, Server, bundle_files, plan, version_mismatch
    from trialexport.remote.http import Client, RemoteError

    level = verbosity(quiet, False)
    headers = _headers(header_values)
    if not server.startswith(("http://", "https://")):
        raise click.BadParameter(f"{server!r} is not an http(s) URL", param_hint="--server")
    groups = bundle_files(list(paths))
    if not groups:
        raise click.UsageError("no *.fhir-r4.json or *.fhir-r5.json file in " + ", ".join(map(str, paths)))
    releases = {r for files in groups for f in files if (r := release_of_name(f.name))}
    results: list[Sent] = []
    report: dict[str, Any] = {"server": server, "dry_run": dry_run}

    def say(line: str) -> None:
        if report_format == "text":
            click.echo(line, err=True)

    def finish(code: int) -> None:
        failed = sum(not r.ok for r in results)
        report.update(bundles=len(results), failed=failed, created=sum(r.created for r in results),
                      updated=sum(r.updated for r in results), results=[r.as_json() for r in results])
        if report_format == "json":
            click.echo(orjson.dumps(report).decode())
        elif level >= 0:
            verb = "would be sent" if dry_run else "sent"
            say(f"{len(results)} Bundle(s) {verb} to {server}" + ("" if dry_run else
                f": {report['created']} created, {report['updated']} updated, {failed} failed"))
        sys.exit(code)

    if dry_run:
        if level >= 0 and headers:
            say("headers: " + ", ".join(sorted(headers)))  # names only: values may be secrets
        for label, item in plan(groups, max_entries, bundle_type == "batch"):
            if isinstance(item, RemoteError):
                results.append(Sent(label, 0, error=item.code, message=item.message))
                say(f"{label}: error {item.code}: {item.message}")
                continue
            results.append(Sent(label, len(item.get("entry") or [])))
            if level >= 0:
                say(f"{label}: would POST a {item.get('type')} Bundle of {len(item.get('entry') or [])} entries")
        finish(1 if any(not r.ok for r in results) else 0)

    progress = Progress(level >= 0 and report_format == "text")
    with Client(timeout=timeout, retries=retries, headers=headers) as client:
        target = Server(server, client)
        try:
            version = target.fhir_version()
        except RemoteError as exc:
            say(f"{server}: error {exc.code}: {exc.message}")
            report["error"] = {"code": exc.code, "message": exc.message}
            finish(1)
        report["fhirVersion"] = version
        why = version_mismatch(version, releases)
        if why:
            say(f"{server}: error PUSH-VERSION: {why}; nothing sent")
            report["error"] = {"code": "PUSH-VERSION", "message": why}
            finish(1)
        for label, item in plan(groups, max_entries, bundle_type == "batch"):
            sent = Sent(label, 0, error=item.code, message=item.message) if isinstance(item, RemoteError) \
                else target.send(item, label)
            results.append(sent)
            progress.tick()
            if report_format == "text" and (level >= 0 or not sent.ok):
                progress.clear()
                _print(sent, level)
    progress.done()
    finish(1 if any(not r.ok for r in results) else 0)


def _print(sent: Any, level: int) -> None:
    status = f"HTTP {sent.status}" if sent.status else "no answer"
    if sent.error:
        click.echo(f"{sent.label}: error {sent.error}: {sent.message}", err=True)
    elif level >= 0:
        click.echo(f"{sent.label}: {status}, {sent.entries} entries: {sent.created} created, {sent.updated} updated"
                   + (f", {sent.other} other" if sent.other else ""), err=True)
    for issue in sent.issues:
        if level >= 0 or issue.severity in ("error", "fatal"):
            click.echo(f"  {issue.line()}", err=True)
