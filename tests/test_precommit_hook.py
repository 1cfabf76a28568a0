"""End to end with the real pre-commit tool: this checkout as the hook repository, offline.

pre-commit clones this repository, builds its own virtualenv and pip-installs the package there,
exactly as a user's pre-commit would. To stay offline, pip is told not to use an index and to
find the dependencies (already installed for the tests) through PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import ROOT


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """A committed snapshot of this checkout (pre-commit needs a git repo with a revision)."""
    snap = tmp_path_factory.mktemp("hookrepo")
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(ROOT / name, snap / name)
    for folder in ("src", "mappings", "schemas"):
        shutil.copytree(ROOT / folder, snap / folder, ignore=shutil.ignore_patterns("__pycache__"))
    _git(snap, "init", "-q")
    _git(snap, "add", "-A")
    _git(snap, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "snapshot")
    rev = _git(snap, "rev-parse", "HEAD").stdout.strip()
    return snap, rev


def _dependencies_only(home: Path) -> Path:
    """A folder exposing this environment's installed packages except trialexport itself (symlinks), so the
    hook's own virtualenv finds the dependencies offline but must run the trialexport it installed."""
    deps = home / "deps"
    deps.mkdir(parents=True, exist_ok=True)
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name.lower().lstrip("_").startswith("trialexport") or entry.suffix == ".pth":
            continue
        link = deps / entry.name
        if not link.exists():
            link.symlink_to(entry)
    return deps


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PRE_COMMIT_HOME": str(home),
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip's inverted flag: build without an isolated (networked) env
        "PYTHONPATH": str(_dependencies_only(home)),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
    })
    return env


def test_validate_hook_passes_a_valid_file_and_fails_a_broken_one(tmp_path, hook_repo):
    snap, rev = hook_repo
    user = tmp_path / "user"
    user.mkdir()
    _git(user, "init", "-q")
    (user / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {snap}\n  rev: {rev}\n  hooks:\n  - id: trialexport-validate\n"
    )
    good = ROOT / "fixtures" / "expected" / "seed-page" / "NCT04318600.fhir-r5.json"
    shutil.copy(good, user / "study.fhir-r5.json")
    env = _env(tmp_path / "pc-home")
    pre_commit = [sys.executable, "-m", "pre_commit"]
    _git(user, "add", "-A")
    ok = subprocess.run([*pre_commit, "run", "--all-files"], cwd=user, env=env, capture_output=True, text=True,
                        timeout=600, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Passed" in ok.stdout
    site = "repo*/py_env-*/lib/python*/site-packages"
    installed = list((tmp_path / "pc-home").glob(f"{site}/trialexport/cli/__init__.py"))
    assert installed, "pre-commit's own environment holds the package it installed from the hook repository"

    broken = json.loads(good.read_text())
    broken["entry"][0]["resource"]["title"] = 42
    (user / "study.fhir-r5.json").write_text(json.dumps(broken, indent=2))
    _git(user, "add", "-A")
    bad = subprocess.run([*pre_commit, "run", "--all-files"], cwd=user, env=env, capture_output=True, text=True,
                         timeout=600, check=False)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert "study.fhir-r5.json" in bad.stdout
    assert "/entry/0/resource/title" in bad.stdout and "FHIR-SCHEMA" in bad.stdout


def test_fixtures_hook_fails_when_an_export_is_stale(tmp_path, hook_repo):
    snap, rev = hook_repo
    user = tmp_path / "user"
    (user / "fixtures").mkdir(parents=True)
    _git(user, "init", "-q")
    (user / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {snap}\n  rev: {rev}\n  hooks:\n  - id: trialexport-fixtures\n"
    )
    (user / "fixtures" / "cases.csv").write_text("case,input,exercises\nseed,seed.txt,the seed page\n")
    shutil.copy(ROOT / "fixtures" / "NCT04318600.txt", user / "fixtures" / "seed.txt")
    shutil.copytree(ROOT / "fixtures" / "expected" / "seed-page", user / "fixtures" / "expected" / "seed")
    env = _env(tmp_path / "pc-home")
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "--all-files"]
    _git(user, "add", "-A")
    ok = subprocess.run(pre_commit, cwd=user, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    page = user / "fixtures" / "seed.txt"
    page.write_text(page.read_text().replace("16 participants", "18 participants"))
    _git(user, "add", "-A")
    stale = subprocess.run(pre_commit, cwd=user, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert stale.returncode == 1
    assert "differs: seed/NCT04318600.fhir-r5.json" in stale.stdout
