"""``python -m trialexport.devtools``: the developers' commands (not listed in ``trialexport --help``)."""

from __future__ import annotations

import sys

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def dev() -> None:
    """trialexport developer tools, for a source checkout."""


@dev.command()
@click.option("--check", is_flag=True, help="Do not write; exit 1 if a generated file is stale.")
def generate(check: bool) -> None:
    """Regenerate the files derived from code and tables, in the source checkout you are in.

    They are schemas/trial-model.schema.json, docs/mapping.md and fixtures/README.md.

    \b
    Example:
      python -m trialexport.devtools generate --check
    """
    from .generated import generate_all, project_root

    root = project_root()
    if root is None:
        raise click.UsageError("not inside a trialexport source checkout (no pyproject.toml with mappings/ found)")
    stale = generate_all(check=check, root=root)
    for path in stale:
        click.echo(f"{'stale' if check else 'wrote'}: {path}", err=True)
    sys.exit(1 if check and stale else 0)


if __name__ == "__main__":
    dev()
