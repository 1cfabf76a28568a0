"""The crosswalk document ``docs/mapping.md``: every CSV table under ``mappings/`` rendered as Markdown.

Written by ``python -m trialexport.devtools generate`` (see :mod:`trialexport.devtools.generated`); the order is fixed
(folders as in :data:`FOLDERS`, then any other folder; files by name) so the output is deterministic.
"""

from __future__ import annotations

import csv
from pathlib import Path

from trialexport.resources import data_dir

HEADER = "<!-- generated from mappings/**/*.csv and README.md by `python -m trialexport.devtools generate` -->\n"

#: Folders in document order; each folder's README.md (written for reviewers) introduces its tables.
FOLDERS = ("readers", "fhir", "cdisc", "odm", "crosswalks")


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>").strip()


def table_markdown(path: Path) -> str:
    """One CSV file (``#`` comment lines skipped) as a Markdown table."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(line for line in fh if not line.startswith("#")))
    if not rows:
        return "_(empty table)_\n"
    header, body = rows[0], rows[1:]
    width = len(header)
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + " --- |" * width]
    for row in body:
        row = (row + [""] * width)[:width]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return "\n".join(lines) + "\n"


def mapping_markdown(root: Path | None = None) -> str:
    """The whole crosswalk document, from the mapping tables in ``root`` (default: the ones in use)."""
    root = root or data_dir("mappings")
    folders = [f for f in FOLDERS if (root / f).is_dir()]
    folders += sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in FOLDERS)
    out = [HEADER, "\n# Mapping tables\n\nEvery table under `mappings/`, as the converters read it.\n"]
    for folder in folders:
        out.append(f"\n## {folder}/\n")
        intro = root / folder / "README.md"
        if intro.exists():
            out.append(f"\n{intro.read_text(encoding='utf-8').strip()}\n")
        for path in sorted((root / folder).rglob("*.csv")):
            out.append(f"\n### {path.relative_to(root).as_posix()}\n\n")
            out.append(table_markdown(path))
    loose = sorted(root.glob("*.csv"))
    for path in loose:
        out.append(f"\n## {path.name}\n\n")
        out.append(table_markdown(path))
    return "".join(out)
