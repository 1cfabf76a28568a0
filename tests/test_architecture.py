"""The shape of the code base: one registry of formats, no import cycles, no overgrown modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import ROOT

from trialexport.formats import registry

SRC = ROOT / "src" / "trialexport"
FORMAT_NAMES = {"model", "fhir-r5", "fhir-r4", "odm-1.3.2", "odm-2.0", "sdtm"}  # tests may list them
#: Format names that are also ordinary words of the code: the trial model, and SDTM (the CDISC standard, named by the
#: ODM Standard elements and the CT package ``sdtm``).
SHARED_WORDS = {"model", "sdtm"}


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_the_registry_lists_the_formats():
    assert set(registry.NAMES) == FORMAT_NAMES
    assert set(registry.EXPORTS) == FORMAT_NAMES - {"model", "sdtm"}  # sdtm is opt-in (a folder per study)


def test_format_names_are_literals_in_the_registry_only():
    """A string constant naming an output format appears in ``formats/registry.py`` and nowhere else in ``src/``
    (prose in docstrings and help text that mentions a format among other words is not a name)."""
    found = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in FORMAT_NAMES - SHARED_WORDS:
                found.setdefault(str(path.relative_to(SRC)), set()).add(node.value)
    assert found == {"formats/registry.py": FORMAT_NAMES - SHARED_WORDS}


def test_cli_choices_come_from_the_registry():
    from trialexport.cli import convert
    from trialexport.cli.output import targets_from

    to = next(p for p in convert.params if p.name == "to")
    assert all(name in (to.help or "") for name in registry.NAMES)
    assert [targets_from([name.upper()]) for name in registry.NAMES] == [[name] for name in registry.NAMES]
    assert targets_from(["all"]) == list(registry.EXPORTS)
    for fam in registry.families():
        members = [f.name for f in registry.FORMATS if f.family is fam and f.export]
        if members:
            assert targets_from([fam.name]) == members


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, names: set[str]) -> set[str]:
    """Modules of trialexport that ``path`` imports, at import time or later inside functions (not under
    ``TYPE_CHECKING``): a cycle through a deferred import is still a cycle in the design."""
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree)
                   if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test) for n in ast.walk(block)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            for alias in node.names:
                if f"{module}.{alias.name}" in names:
                    out.add(f"{module}.{alias.name}")
                elif module in names:
                    out.add(module)
    return out - {me}


def test_no_import_cycles():
    """No module of trialexport imports a module that (transitively) imports it back."""
    paths = {_module_name(p): p for p in _modules()}
    graph = {name: _imports(path, set(paths)) for name, path in paths.items()}
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_no_overgrown_modules():
    sizes = {str(p.relative_to(SRC)): len(p.read_text(encoding="utf-8").splitlines()) for p in _modules()}
    assert {name: n for name, n in sizes.items() if n > 450} == {}


def _code_literals() -> dict[str, str]:
    """Every string constant in src/ shaped like a diagnostic code (``READ-JSON``), with one place it appears."""
    pattern = re.compile(r"^[A-Z]{2,}(-[A-Z0-9]+)+$")
    found: dict[str, str] = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and pattern.match(node.value):
                found.setdefault(node.value, str(path.relative_to(SRC)))
    return found


def test_every_emitted_diagnostic_code_is_catalogued_and_every_catalogued_code_is_emitted():
    from trialexport.diagnostics import catalogue

    codes = catalogue()
    emitted = _code_literals()
    assert {c: where for c, where in emitted.items() if c not in codes} == {}
    assert sorted(set(codes) - set(emitted)) == []
    assert {info.severity for info in codes.values()} <= {"error", "warning", "info"}
