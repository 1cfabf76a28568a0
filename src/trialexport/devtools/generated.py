"""Files generated from the code and the mapping tables (never edited by hand).

In a source checkout (the folder holding ``pyproject.toml``, ``mappings/`` and ``schemas/``):

- ``schemas/trial-model.schema.json``: the model's JSON Schema (from :mod:`trialexport.model`);
- ``docs/mapping.md``: the crosswalk document (from the checkout's ``mappings/``);
- ``fixtures/README.md``: the fixture catalogue (from ``fixtures/cases.csv``);
- ``mappings/fhir/package/``: the project's FHIR package (from the FHIR mapping tables, :mod:`.fhir_package`).

Outside a checkout (an installed wheel) only the packaged model schema is checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from trialexport.resources import data_dir


def model_schema_text() -> str:
    """The model's JSON Schema as written to ``schemas/trial-model.schema.json``."""
    from trialexport.model import model_json_schema

    return json.dumps(model_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def diagnostics_markdown() -> str:
    """``docs/diagnostics.md``: the diagnostic-code catalogue as a table, grouped by stage."""
    from trialexport.diagnostics import catalogue

    header = "<!-- generated from src/trialexport/diagnostic-codes.csv by `python -m trialexport.devtools generate` -->"
    lines = [header, "", "# Diagnostic codes", "",
             "Every finding trialexport prints carries one of these codes (`file:line:col: record: path: severity "
             "CODE: message`). The severity is the default one.", "",
             "| code | stage | severity | meaning |", "|---|---|---|---|"]
    for info in catalogue().values():
        lines.append(f"| `{info.code}` | {info.stage} | {info.severity} | {info.meaning} |")
    return "\n".join(lines) + "\n"


def project_root(start: Path | None = None) -> Path | None:
    """The trialexport source checkout containing ``start`` (default: the current folder), if any."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        pyproject = folder / "pyproject.toml"
        if (folder / "mappings").is_dir() and pyproject.is_file() and 'name = "trialexport"' in pyproject.read_text(
            encoding="utf-8"
        ):
            return folder
    return None


def _generators(root: Path | None) -> dict[Path, Callable[[], str]]:
    if root is None:
        return {data_dir("schemas") / "trial-model.schema.json": model_schema_text}
    from .fixtures_readme import fixtures_markdown
    from .mapping_docs import mapping_markdown

    gens: dict[Path, Callable[[], str]] = {
        root / "schemas" / "trial-model.schema.json": model_schema_text,
        root / "docs" / "mapping.md": lambda: mapping_markdown(root / "mappings"),
        root / "docs" / "diagnostics.md": diagnostics_markdown,
    }
    from .fhir_package import package_files

    folder = root / "mappings" / "fhir" / "package"
    for name, text in package_files().items():
        gens[folder / name] = lambda text=text: text  # type: ignore[misc]
    if (root / "fixtures" / "cases.csv").exists():
        gens[root / "fixtures" / "README.md"] = lambda: fixtures_markdown(root / "fixtures")
    return gens


def generate_all(*, check: bool, root: Path | None = None) -> list[Path]:
    """Write (or with ``check``, compare) every generated file; return those that changed / are stale.

    ``root`` is the source checkout (default: the one containing the current folder).
    """
    changed = []
    for path, make in _generators(root or project_root()).items():
        text = make()
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            changed.append(path)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    return changed
