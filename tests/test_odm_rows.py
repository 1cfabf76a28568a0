"""The ODM half is table-driven: every row is well formed, and coverage is what the rows that ran carried.

The proof of the second: switching one row off on a copy of the tables (``TRIALEXPORT_MAPPINGS``) makes its field
show as not carried for that version only, and changes the document.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA, ROOT, cli_process
from lxml import etree

from trialexport.formats.odm import VERSIONS
from trialexport.formats.odm.mapping import tables
from trialexport.formats.odm.mapping.transforms import TRANSFORMS

RECORD = DATA / "ctgov-v2" / "NCT00711542.json"  # two arms, each with a description; one overall official
ODM20 = {"o": "http://www.cdisc.org/ns/odm/v2.0"}


@pytest.mark.parametrize("version", VERSIONS)
def test_rows_are_well_formed(version: str) -> None:
    ids = set()
    for row in tables.rows(version):
        assert row.transform in TRANSFORMS, row.id
        assert row.id not in ids, f"row id {row.id} twice"
        ids.add(row.id)
        assert row.target.kind, row.id
    assert {"study-name", "arm-description", "site-contact-phone"} <= {r.id for r in tables.rows("2.0")}


def test_every_element_kind_has_an_oid_pattern() -> None:
    written = {r.target.kind for v in VERSIONS for r in tables.rows(v)}
    # content of other elements (range checks, the age unit item, TS, Protocol aliases): no OID of their own
    structural = {"AgeCheck", "AgeUnit", "SexCheck", "TrialSummary", "TrialPhase", "ProtocolAlias"}
    assert written - structural <= set(tables.elements()), written - structural - set(tables.elements())


def _switch_off(root: Path, table: str, row_id: str, version: str) -> None:
    """Empty the ``target_<version>`` cell of one row of ``mappings/odm/<table>``."""
    path = root / "odm" / table
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    comments = [line for line in lines if line.startswith("#")]
    rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    assert any(r["id"] == row_id for r in rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        if r["id"] == row_id:
            r[f"target_{version}"] = ""
        writer.writerow(r)
    path.write_text("".join(comments) + out.getvalue(), encoding="utf-8")


def _convert(tmp: Path, name: str, env: dict[str, str]) -> tuple[dict[str, dict[str, object]], dict[str, bytes]]:
    out = tmp / name
    out.mkdir()
    ran = cli_process("convert", RECORD, "--to", "odm-1.3.2", "--to", "odm-2.0", "-o", out, "--report",
                      out / "report.json", "-q", env=env)
    assert ran.returncode == 0, ran.stderr
    (record,) = json.loads((out / "report.json").read_text(encoding="utf-8"))["records"]
    docs = {v: (out / f"NCT00711542.odm-{v}.xml").read_bytes() for v in VERSIONS}
    return record["coverage"], docs


def test_switching_a_row_off_shows_its_field_as_not_carried(tmp_path: Path) -> None:
    copy = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", copy)
    before_cov, before = _convert(tmp_path, "before", {"TRIALEXPORT_MAPPINGS": str(copy)})
    assert "arms[].description" in before_cov["odm-2.0"]["mapped"]
    _switch_off(copy, "protocol.csv", "arm-description", "2.0")
    after_cov, after = _convert(tmp_path, "after", {"TRIALEXPORT_MAPPINGS": str(copy)})
    assert "arms[].description" not in after_cov["odm-2.0"]["mapped"]
    assert after_cov["odm-2.0"]["not_carried"]["arms[].description"] == "no mapping row for this field"
    assert after_cov["odm-1.3.2"] == before_cov["odm-1.3.2"] and after["1.3.2"] == before["1.3.2"]
    assert after["2.0"] != before["2.0"]
    arms = etree.fromstring(before["2.0"]).xpath("//o:StudyStructure/o:Arm", namespaces=ODM20)
    assert len(arms) == 2 and all(a.xpath("o:Description", namespaces=ODM20) for a in arms)
    arms = etree.fromstring(after["2.0"]).xpath("//o:StudyStructure/o:Arm", namespaces=ODM20)
    assert len(arms) == 2 and not any(a.xpath("o:Description", namespaces=ODM20) for a in arms)


def test_switching_a_shared_row_off_affects_both_versions(tmp_path: Path) -> None:
    """Users are built once for both versions: one row serves both."""
    copy = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", copy)
    before_cov, before = _convert(tmp_path, "before", {"TRIALEXPORT_MAPPINGS": str(copy)})
    for version in VERSIONS:  # the rows reading the official's name: FullName, and FirstName / LastName
        _switch_off(copy, "admin.csv", "official-name", version)
        _switch_off(copy, "admin.csv", "official-name-parts", version)
    after_cov, after = _convert(tmp_path, "after", {"TRIALEXPORT_MAPPINGS": str(copy)})
    for version in VERSIONS:
        fmt = f"odm-{version}"
        assert "overall_officials[].name" in before_cov[fmt]["mapped"]
        assert after_cov[fmt]["not_carried"].get("overall_officials[].name") == "no mapping row for this field"
        assert b"<FullName>Andreas M Zeiher, MD</FullName>" in before[version]
        assert b"Andreas M Zeiher" not in after[version]
        assert after[version] != before[version]
