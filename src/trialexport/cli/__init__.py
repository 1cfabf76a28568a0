"""Command line: thin click wrappers around the library (parsing options and printing only).

One module per command (:mod:`.convert`, :mod:`.validate`, :mod:`.fixtures`); terminal output helpers in
:mod:`.output`. Exit codes: 0 all records succeeded, 1 some record failed or is invalid, 2 usage error.
Diagnostics go to stderr (or stdout as JSON with ``--format json`` when outputs are files).
"""

from __future__ import annotations

import click

from trialexport import __version__

from .convert import convert
from .fixtures import fixtures
from .validate import validate


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


main.add_command(convert)
main.add_command(validate)
main.add_command(fixtures)
