"""Generated files are current, and the wheel ships the data folders."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import ROOT


def test_generated_files_are_current():
    from trialexport.devtools.generated import generate_all

    assert generate_all(check=True, root=ROOT) == [], "run `python -m trialexport.devtools generate` and commit"


def test_model_schema_matches_code():
    import json

    from trialexport.model import model_json_schema

    on_disk = json.loads((ROOT / "schemas" / "trial-model.schema.json").read_text(encoding="utf-8"))
    assert on_disk == model_json_schema()


def test_wheel_contains_mappings_and_schemas(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path),
                           str(ROOT)], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("trialexport-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("trialexport/mappings/readers/ctgov-v2.csv", "trialexport/schemas/trial-model.schema.json",
                     "trialexport/mappings/crosswalks/phase.csv", "trialexport/cli/__init__.py"):
        assert required in names, required
    tables = {n for n in names if n.startswith("trialexport/mappings/") and n.endswith(".csv")}
    on_disk = {"trialexport/" + str(p.relative_to(ROOT)) for p in (ROOT / "mappings").rglob("*.csv")}
    assert tables == on_disk
