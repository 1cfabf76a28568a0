"""Load the mapping tables in ``mappings/`` (CSV files a domain expert can review).

Each table is read once per process and cached. Rows are plain dicts keyed by the
CSV header; empty cells become ``""``.
"""

from __future__ import annotations

import csv
from functools import cache

from trialexport.resources import mapping_path


@cache
def load_table(*parts: str) -> tuple[dict[str, str], ...]:
    """Rows of ``mappings/<parts...>`` as dicts (comment rows starting with ``#`` skipped)."""
    path = mapping_path(*parts)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return tuple({k: (v or "").strip() for k, v in row.items()} for row in rows)
