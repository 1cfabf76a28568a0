"""The shape of the code base: one registry of formats, no import cycles, no overgrown modules."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

from trialexport.formats import registry

SRC = ROOT / "src" / "trialexport"
FORMAT_NAMES = {"model", "fhir-r5", "fhir-r4", "odm-1.3.2", "odm-2.0"}  # tests may list them


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_the_registry_lists_the_formats():
    assert set(registry.NAMES) == FORMAT_NAMES
    assert set(registry.EXPORTS) == FORMAT_NAMES - {"model"}


def test_format_names_are_literals_in_the_registry_only():
    """A string constant naming an output format appears in ``formats/registry.py`` and nowhere else in ``src/``
    (prose in docstrings and help text that mentions a format among other words is not a name)."""
    found = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in FORMAT_NAMES - {"model"}:
                found.setdefault(str(path.relative_to(SRC)), set()).add(node.value)
    assert found == {"formats/registry.py": FORMAT_NAMES - {"model"}}


def test_cli_choices_come_from_the_registry():
    from trialexport.cli import convert

    to = next(p for p in convert.params if p.name == "to")
    assert list(to.type.choices) == [*registry.NAMES, "all"]
