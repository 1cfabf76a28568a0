"""Command line: thin click wrappers around the library (parsing options and printing only).

One module per command (:mod:`.convert`, :mod:`.fetch`, :mod:`.validate`, :mod:`.fixtures`); terminal output helpers in
:mod:`.output`. Exit codes: 0 all records succeeded, 1 some record failed or is invalid, 2 usage error.
Diagnostics go to stderr (or stdout as JSON with ``--format json`` when outputs are files).
"""

from __future__ import annotations

import click

from trialexport import __version__

from .convert import convert
from .fetch import fetch
from .fixtures import fixtures
from .validate import validate


def _versions() -> str:
    """``--version``: the tool's version and the versions of the standards and vendored schemas it writes and checks,
    read from ``schemas/PROVENANCE.tsv`` (no heavy import)."""
    import csv

    from trialexport.resources import schema_path

    with schema_path("PROVENANCE.tsv").open(encoding="utf-8", newline="") as fh:
        rows = {r["path"]: r for r in csv.DictReader(fh, delimiter="\t")}

    def source(path: str) -> str:
        row = rows.get(path)
        return f"{row['source_package']} {row['version']}" if row else "not vendored"

    return "\n".join([
        f"trialexport {__version__}",
        f"  FHIR R5 5.0.0: schema from {source('fhir-r5/fhir.schema.json')}; rule tables from "
        f"{source('fhir-r5/required-bindings.json')}",
        f"  FHIR R4 4.0.1: schema from {source('fhir-r4/fhir.schema.json')}; rule tables from "
        f"{source('fhir-r4/required-bindings.json')}",
        f"  CDISC ODM 1.3.2: XSD from {source('odm-1.3.2/ODM1-3-2.xsd')}",
        f"  CDISC ODM 2.0: XSD from {source('odm-2.0/ODM.xsd')}",
        "  CDISC CT: the submission values and NCI C-codes in mappings/crosswalks (no CT release pinned)",
        "  reads: ClinicalTrials.gov API v2 study JSON (and its bulk zip), study-page text, trial definitions",
    ])


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_versions())
        ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version, the FHIR / ODM versions and the vendored schemas it validates with, and exit.")
def main() -> None:
    """Turn clinical-trial registry records into FHIR R5/R4 and CDISC ODM, and prove every file is valid.

    \b
    Examples:
      trialexport convert fixtures/NCT04318600.txt --to model -o out/
      trialexport convert studies.zip --to all -o out/
      trialexport convert NCT01234567.json --to model -o -
      trialexport validate out/ --format github

    Shell completion: eval "$(_TRIALEXPORT_COMPLETE=bash_source trialexport)" (zsh_source, fish_source).
    """


main.add_command(convert)
main.add_command(fetch)
main.add_command(validate)
main.add_command(fixtures)
