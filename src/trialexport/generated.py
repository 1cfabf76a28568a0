"""Files generated from the code and the mapping tables (never edited by hand).

- ``schemas/trial-model.schema.json``: the model's JSON Schema (from :mod:`trialexport.model`).
- ``docs/mapping.md``: the crosswalk document (from ``mappings/``).
- ``fixtures/README.md``: the fixture catalogue (from ``fixtures/cases.csv``), in a source checkout.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .resources import data_dir


def model_schema_text() -> str:
    from .model import model_json_schema

    return json.dumps(model_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _generators() -> dict[Path, Callable[[], str]]:
    gens: dict[Path, Callable[[], str]] = {data_dir("schemas") / "trial-model.schema.json": model_schema_text}
    docs = data_dir("mappings").parent / "docs"
    try:
        from .mapping_docs import mapping_markdown
    except ImportError:
        pass
    else:
        gens[docs / "mapping.md"] = mapping_markdown
    fixtures = data_dir("mappings").parent / "fixtures"
    if (fixtures / "cases.csv").exists():  # a source checkout (the wheel ships no fixtures)
        from .fixtures_readme import fixtures_markdown

        gens[fixtures / "README.md"] = lambda: fixtures_markdown(fixtures)
    return gens


def generate_all(*, check: bool) -> list[Path]:
    """Write (or with ``check``, compare) every generated file; return those that changed / are stale."""
    changed = []
    for path, make in _generators().items():
        text = make()
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            changed.append(path)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    return changed
