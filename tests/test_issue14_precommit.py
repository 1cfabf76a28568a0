"""Issue 14 item 8: the README's pre-commit block, pasted into a fresh repository that has no fixtures and holds
CDISC files from elsewhere, passes its first commit (real pre-commit, offline; see test_precommit_hook.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

from conftest import DATA, ROOT
from test_precommit_hook import _env, _git, hook_repo  # noqa: F401 - hook_repo is a fixture

DEFINE_21 = (b'<?xml version="1.0" encoding="UTF-8"?>\n<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" '
             b'xmlns:def="http://www.cdisc.org/ns/def/v2.1" ODMVersion="1.3.2" FileType="Snapshot" FileOID="D.1" '
             b'CreationDateTime="2024-01-01T00:00:00" def:Context="Other"><Study OID="S"><GlobalVariables>'
             b'<StudyName>S</StudyName><StudyDescription>D</StudyDescription><ProtocolName>P</ProtocolName>'
             b'</GlobalVariables><MetaDataVersion OID="M" Name="m" def:DefineVersion="2.1.0"/></Study></ODM>\n')
# (a minimal valid Define-XML 2.1: since issue 16 trialexport validate checks Define-XML 2.1 against its XSDs)


def _readme_block() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Pre-commit"):]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)


def test_the_readme_block_passes_the_first_commit_of_a_repository_without_fixtures(tmp_path, hook_repo):  # noqa: F811
    snap, rev = hook_repo
    block = _readme_block()
    assert "<URL of this repository>" in block and "trialexport-fixtures" in block
    config = re.sub(r"repo: <URL of this repository>.*", f"repo: {snap}", block)
    config = re.sub(r"rev: <commit sha or tag>.*", f"rev: {rev}", config)
    user = tmp_path / "user"
    (user / "sdtm").mkdir(parents=True)
    _git(user, "init", "-q")
    (user / ".pre-commit-config.yaml").write_text(config)
    (user / "sdtm" / "define.xml").write_bytes(DEFINE_21)
    shutil.copy(DATA / "cdisc" / "dataset-xml-1.0-dm.xml", user / "sdtm" / "dm.xml")
    (user / "package.json").write_text('{"name": "site", "version": "1.0.0"}\n')
    shutil.copy(ROOT / "fixtures" / "expected" / "seed-page" / "NCT04318600.fhir-r5.json", user / "study.json")
    env = _env(tmp_path / "pc-home")
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=user, env=env,
                               capture_output=True, text=True, check=False)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    _git(user, "add", "-A")
    first = subprocess.run(["git", "commit", "-m", "first"], cwd=user, env=env, capture_output=True, text=True,
                           timeout=900, check=False)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout + first.stderr
    assert "trialexport validate" in out and "trialexport exports are current" in out and "Failed" not in out
    assert _git(user, "log", "--oneline").stdout.strip().endswith("first")
