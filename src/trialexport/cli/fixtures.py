"""``trialexport fixtures``: check or update the interoperability fixtures."""

from __future__ import annotations

import sys

import click


@click.command()
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

    from trialexport import fixtures as fx

    problems = fx.update(Path(root)) if mode == "update" else fx.check(Path(root))
    for line in problems:
        click.echo(line)
    if mode == "check":
        click.echo("fixtures are current" if not problems else f"{len(problems)} fixture problem(s): "
                   "run `trialexport fixtures --update` and review the diff", err=True)
    sys.exit(1 if problems else 0)
