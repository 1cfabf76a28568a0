"""``trialexport fetch``: studies from the ClinicalTrials.gov API v2, by id or by search, to files or NDJSON."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from trialexport.remote.ctgov import Registry

from .output import Progress, verbosity

STATUSES = ("ACTIVE_NOT_RECRUITING", "COMPLETED", "ENROLLING_BY_INVITATION", "NOT_YET_RECRUITING", "RECRUITING",
            "SUSPENDED", "TERMINATED", "WITHDRAWN", "AVAILABLE", "NO_LONGER_AVAILABLE", "TEMPORARILY_NOT_AVAILABLE",
            "APPROVED_FOR_MARKETING", "WITHHELD", "UNKNOWN")  # the API's Status enum (ctg-oas-v2.yaml)


def remote_options(fn: Any) -> Any:
    """The options every command that calls the registry API shares (fetch, and convert given NCT ids)."""
    for option in reversed([
        click.option("--api-url", default=None, metavar="URL",
                     help="ClinicalTrials.gov API v2 base URL [default: environment variable TRIALEXPORT_CTGOV_API, "
                          "else https://clinicaltrials.gov/api/v2]; a mirror, proxy or test server."),
        click.option("--cache", "cache_dir", type=click.Path(file_okay=False), default=None,
                     help="Keep fetched studies in DIR (<id>/<last update date>.json) and reuse one while the "
                          "registry's last update date is unchanged. Off by default."),
        click.option("--rate", type=click.FloatRange(min=0), default=1.0, show_default=True,
                     help="At most this many requests per second (the public API allows about 50 a minute)."),
        click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
                     help="Seconds to wait for a connection or an answer."),
        click.option("--retries", type=click.IntRange(min=0), default=4, show_default=True,
                     help="Retries after a network failure, 429 or 5xx (waiting as Retry-After says, else 1 s, "
                          "doubling)."),
    ]):
        fn = option(fn)
    return fn


def registry_from(api_url: str | None, cache_dir: str | None, rate: float, timeout: float,
                  retries: int) -> Registry:
    """A :class:`~trialexport.remote.ctgov.Registry` for the shared options."""
    from trialexport.remote.ctgov import Registry
    from trialexport.remote.ctgov import api_url as base_url
    from trialexport.remote.http import Client

    client = Client(timeout=timeout, rate=rate, retries=retries)
    return Registry(client, base_url(api_url), Path(cache_dir) if cache_dir else None)


@click.command()
@click.argument("ids", nargs=-1)
@click.option("--query", default=None, metavar="TEXT", help="Search the registry (query.term), e.g. 'lupus nephritis'.")
@click.option("--filter-status", "statuses", multiple=True, metavar="STATUS",
              type=click.Choice(STATUSES, case_sensitive=False),
              help=f"Only studies with this overall status (repeat for several): {', '.join(STATUSES)}.")
@click.option("--max", "max_studies", type=click.IntRange(min=1), default=None,
              help="Stop after N studies of a search.")
@click.option("--page-size", type=click.IntRange(1, 1000), default=200, show_default=True,
              help="Studies per API page of a search (pages are streamed: one in memory at a time).")
@click.option("-o", "--out", default="-", show_default=True, type=click.Path(file_okay=False, allow_dash=True),
              help="Folder for <NCT id>.json files (as the API returns each study), or '-' for NDJSON on stdout.")
@remote_options
@click.option("--format", "report_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How the outcome is reported: text lines on stderr, or one JSON document on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
def fetch(ids: tuple[str, ...], query: str | None, statuses: tuple[str, ...], max_studies: int | None,
          page_size: int, out: str, api_url: str | None, cache_dir: str | None, rate: float, timeout: float,
          retries: int, report_format: str, quiet: bool) -> None:
    """Download studies from the ClinicalTrials.gov API v2, by NCT id (or study URL) or by search.

    \b
    Examples:
      trialexport fetch NCT04318600 NCT03311191 -o records/
      trialexport fetch --query "lupus nephritis" --filter-status RECRUITING --max 500 -o records/
      trialexport fetch --query asthma -o - > asthma.ndjson
      trialexport convert records/ --to all -o out/

    One failure (an unknown id: FETCH-NOT-FOUND; the network: FETCH-NETWORK) is reported and the others go on.
    Exit status: 0 all fetched, 1 some failed, 2 usage error (e.g. a malformed id).
    """
    import orjson

    from trialexport.remote.ctgov import study_id
    from trialexport.remote.http import RemoteError

    wanted = []
    for raw in ids:
        nct = study_id(raw)
        if nct is None:
            raise click.BadParameter(f"{raw!r} is not an NCT id (NCT followed by 8 digits) or a study URL",
                                     param_hint="IDS")
        wanted.append(nct)
    if not wanted and not query and not statuses:
        raise click.UsageError("give NCT ids, or --query / --filter-status to search")
    level = verbosity(quiet, False)
    folder = None if out == "-" else Path(out)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    fetched: list[str] = []
    failed: list[dict[str, str]] = []
    progress = Progress(level >= 0)

    def emit(data: bytes, label: str) -> None:
        from trialexport.atomic import write_atomic

        if folder is None:
            sys.stdout.buffer.write(orjson.dumps(orjson.loads(data)) + b"\n" if b"\n" in data else data + b"\n")
        else:
            write_atomic(folder / f"{label}.json", data)
        fetched.append(label)
        progress.tick()

    def fail(label: str, exc: RemoteError) -> None:
        failed.append({"id": label, "code": exc.code, "message": exc.message})
        if report_format == "text":
            progress.clear()
            click.echo(f"{label}: error {exc.code}: {exc.message}", err=True)

    registry = registry_from(api_url, cache_dir, rate, timeout, retries)
    with registry.client:
        for nct in wanted:
            try:
                emit(registry.study(nct), nct)
            except RemoteError as exc:
                fail(nct, exc)
        if query or statuses:
            try:
                for data in registry.search(query, tuple(s.upper() for s in statuses), max_studies=max_studies,
                                            page_size=page_size):
                    emit(data, _nct_of(data) or f"study-{len(fetched) + 1}")
            except RemoteError as exc:
                fail(f"query {query or ''}".strip(), exc)
    progress.done()
    if report_format == "json":
        click.echo(orjson.dumps({"fetched": len(fetched), "failed": failed, "out": out}).decode(), err=True)
    elif level >= 0:
        where = "stdout" if folder is None else str(folder)
        click.echo(f"{len(fetched)} stud{'y' if len(fetched) == 1 else 'ies'} fetched -> {where}"
                   + (f", {len(failed)} failed" if failed else ""), err=True)
    sys.exit(1 if failed else 0)


def _nct_of(data: bytes) -> str | None:
    import orjson

    from trialexport.remote.ctgov import study_id

    study = orjson.loads(data)
    nct = ((study.get("protocolSection") or {}).get("identificationModule") or {}).get("nctId")
    return study_id(nct) if isinstance(nct, str) else None
