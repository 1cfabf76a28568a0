"""``trialexport fixtures``: check or update the interoperability fixtures."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--dir", "root", type=click.Path(file_okay=False), default="fixtures", show_default=True,
              help="The fixture folder (holding cases.csv).")
@click.option("--check", "mode", flag_value="check", default=True,
              help="Regenerate into a temporary folder and compare byte for byte (the default).")
@click.option("--update", "mode", flag_value="update", help="Rewrite the expected outputs (creates expected/).")
@click.option("--if-present", is_flag=True,
              help="Succeed with a note when the folder or its cases.csv does not exist (for a pre-commit hook in a "
                   "repository that has no fixtures yet).")
def fixtures(root: str, mode: str, if_present: bool) -> None:
    """Check or update the interoperability fixtures (expected outputs of every format).

    The folder holds cases.csv (case,input,exercises), the inputs it names, and expected/<case>/
    with the expected output of every format. Exit 1 when a committed expected output is stale:
    an input, a mapping table or the code changed and the fixtures were not regenerated. To
    start your own fixtures: write cases.csv and the inputs, then run --update once.

    \b
    Examples:
      trialexport fixtures --check
      trialexport fixtures --update && git diff --stat fixtures/
      trialexport fixtures --dir my-fixtures --check --if-present
    """
    from pathlib import Path

    from trialexport import fixtures as fx

    folder = Path(root)
    missing = (f"no fixture folder {root!r}" if not folder.is_dir()
               else f"no cases.csv in {root!r}" if not (folder / "cases.csv").is_file() else None)
    if missing:
        if if_present:
            click.echo(f"{missing}: nothing to check (--if-present)", err=True)
            sys.exit(0)
        raise click.UsageError(f"{missing} (a fixture folder holds cases.csv: case,input,exercises); give --dir, "
                               "or --if-present to accept a repository without fixtures")
    try:
        problems = fx.update(folder) if mode == "update" else fx.check(folder)
    except fx.FixtureError as exc:
        click.echo(f"{root}: error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        where = exc.filename or root
        click.echo(f"{where}: error IO-WRITE: {exc.strerror or exc}", err=True)
        sys.exit(1)
    for line in problems:
        click.echo(line)
    if mode == "check":
        click.echo("fixtures are current" if not problems else f"{len(problems)} fixture problem(s): "
                   "run `trialexport fixtures --update` and review the diff", err=True)
    sys.exit(1 if problems else 0)
