"""Mapped values: the seed study page and corpus studies of different shapes, expectations from the source."""

from __future__ import annotations

import csv
import json

import pytest
from conftest import DATA, ROOT, SEED_PAGE
from lxml import etree

from trialexport.readers import read_path
from trialexport.targets import Options
from trialexport.writers.odm import write_odm20, write_odm132

NS = {"1.3.2": {"o": "http://www.cdisc.org/ns/odm/v1.3"}, "2.0": {"o": "http://www.cdisc.org/ns/odm/v2.0"}}
NCI = "nci:ExtCodeID"


def _crosswalk(name: str) -> dict[str, dict[str, str]]:
    with (ROOT / "mappings" / "crosswalks" / f"{name}.csv").open(encoding="utf-8") as fh:
        return {r["ctgov"]: r for r in csv.DictReader(line for line in fh if not line.startswith("#"))}


def _docs(path) -> tuple[etree._Element, etree._Element]:
    (res,) = list(read_path(path))
    a, b = write_odm132(res.trial, Options()), write_odm20(res.trial, Options())
    assert a.ok and b.ok
    return etree.fromstring(a.data), etree.fromstring(b.data)


def _x(root, version, expr):
    return root.xpath(expr, namespaces=NS[version])


def _ts132(root, parm: str) -> list[str]:
    """Values of a TS parameter in the 1.3.2 ReferenceData (coded item or its .TXT twin)."""
    oids = f"@ItemOID='IT.TS.{parm}' or @ItemOID='IT.TS.{parm}.TXT'"
    return _x(root, "1.3.2", f"//o:ReferenceData//o:ItemData[{oids}]/@Value")


def _ts20(root, parm: str) -> list[tuple[str, str | None]]:
    """(value, value C-code) of a TS parameter in the 2.0 StudySummary."""
    out = []
    for pv in _x(root, "2.0", f"//o:StudyParameter[@ShortName='{parm}']/o:ParameterValue"):
        codes = pv.xpath("o:Coding/@Code", namespaces=NS["2.0"])
        out.append((pv.get("Value"), codes[0] if codes else None))
    return out


def _ts_code132(root, parm: str, value: str) -> str | None:
    codes = _x(root, "1.3.2", f"//o:CodeList[@OID='CL.{parm}']/o:CodeListItem[@CodedValue='{value}']"
                              f"/o:Alias[@Context='{NCI}']/@Name")
    return codes[0] if codes else None


@pytest.fixture(scope="module")
def seed():
    return _docs(SEED_PAGE)


def test_seed_phase_blinding(seed):
    a, b = seed
    assert _ts132(a, "TPHASE") == ["PHASE I TRIAL"] and _ts_code132(a, "TPHASE", "PHASE I TRIAL") == "C15600"
    assert _ts20(b, "TPHASE") == [("PHASE I TRIAL", "C15600")]
    assert _x(b, "2.0", "//o:TrialPhase/@Value") == ["PHASE I TRIAL"]
    assert _ts132(a, "TBLIND") == ["SINGLE BLIND"] and _ts20(b, "TBLIND") == [("SINGLE BLIND", "C28233")]
    assert _ts132(a, "AGEMIN") == ["P14Y"] and _ts132(a, "AGEMAX") == ["P60Y"]


def test_seed_eligibility(seed):
    a, b = seed
    for root, v in ((a, "1.3.2"), (b, "2.0")):
        ex = _x(root, v, "//o:ItemDef[starts-with(@OID, 'IT.ELIG.EX')]")
        assert len(ex) == 14 and ex[2].get("OID") == "IT.ELIG.EX03"
        assert all(i.xpath("o:CodeListRef/@CodeListOID", namespaces=NS[v]) == ["CL.NY"] for i in ex)
        assert not _x(root, v, "//o:ItemDef[starts-with(@OID, 'IT.ELIG.IN')]")
    assert len(_x(b, "2.0", "//o:ExclusionCriteria/o:Criterion[@ConditionOID]")) == 14
    assert len(_x(b, "2.0", "//o:ConditionDef/o:MethodSignature")) == 14


def test_seed_age_range(seed):
    a, b = seed
    checks = _x(a, "1.3.2", "//o:ItemDef[@OID='IT.DM.AGE']/o:RangeCheck")
    assert [(c.get("Comparator"), c.get("SoftHard"), c.findtext("o:CheckValue", namespaces=NS["1.3.2"]),
             c.xpath("o:MeasurementUnitRef/@MeasurementUnitOID", namespaces=NS["1.3.2"])) for c in checks] == [
        ("GE", "Hard", "14", ["MU.YEARS"]), ("LE", "Hard", "60", ["MU.YEARS"])]
    assert _x(a, "1.3.2", "//o:BasicDefinitions/o:MeasurementUnit/@OID") == ["MU.YEARS"]
    assert _x(b, "2.0", "//o:ItemDef[@OID='IT.DM.AGE']/o:RangeCheck/o:CheckValue/text()") == ["14", "60"]
    assert _x(b, "2.0", "//o:ItemRef[@ItemOID='IT.DM.AGE']/@UnitsItemOID") == ["IT.DM.AGEU"]
    assert _x(b, "2.0", "//o:CodeList[@OID='CL.AGEU']/o:CodeListItem/@CodedValue") == ["YEARS"]


def test_seed_arms_and_parties(seed):
    a, b = seed
    arms = _x(a, "1.3.2", "//o:CodeList[@OID='CL.ARM']/o:CodeListItem")
    assert [i.findtext("o:Decode/o:TranslatedText", namespaces=NS["1.3.2"]) for i in arms] == [
        "human amniotic mesenchymal stem cell treatment group", "blank control group"]
    assert [i.xpath(f"o:Alias[@Context='{NCI}']/@Name", namespaces=NS["1.3.2"]) for i in arms] == [
        ["C174266"], ["C174270"]]
    assert [i.xpath("o:Alias[@Context='CDISC']/@Name", namespaces=NS["1.3.2"]) for i in arms] == [
        ["Experimental Arm"], ["No Intervention Arm"]]
    assert _x(b, "2.0", "//o:StudyStructure/o:Arm/@Name")[1] == "blank control group"
    assert _ts132(a, "TCNTRL") == ["NONE"]
    sponsor = "Yan'an Affiliated Hospital of Kunming Medical University"
    collab = "The First People's Hospital of Yunnan"
    assert _x(a, "1.3.2", "//o:User[@UserType='Sponsor']/o:Organization/text()") == [sponsor, collab]
    assert _x(a, "1.3.2", "//o:Location[@LocationType='Sponsor']/@Name") == [sponsor]
    assert _x(b, "2.0", "//o:Organization[@Type='Sponsor']/@Name") == [sponsor, collab]
    assert _x(a, "1.3.2", "//o:MetaDataVersionRef/@EffectiveDate") == ["2020-03-24"]
    assert _x(a, "1.3.2", "//o:GlobalVariables/o:ProtocolName/text()") == ["2014001"]


def _age(text: str | None) -> tuple[str, str] | None:
    if not text:
        return None
    value, unit = text.split()
    return value, unit.lower().rstrip("s") + "s"


def test_criterion_groups_in_item_descriptions():
    """NCT05170204 (read by hand): the heading qualifiers become each criterion item's Description."""
    a, b = _docs(DATA / "ctgov-v2" / "NCT05170204.json")
    for root, v in ((a, "1.3.2"), (b, "2.0")):
        def desc(oid, root=root, v=v):
            return _x(root, v, f"//o:ItemDef[@OID='{oid}']/o:Description/o:TranslatedText/text()")

        assert desc("IT.ELIG.IN14") == ["All Cohorts"] and desc("IT.ELIG.IN15") == ["Cohort A1"]
        assert desc("IT.ELIG.IN17") == ["Cohort A2"] and desc("IT.ELIG.EX27") == ["All Cohorts"]
        assert desc("IT.ELIG.EX28") == ["Cohort A1"] and desc("IT.ELIG.EX53") == ["Cohort A2"]
        question = _x(root, v, "//o:ItemDef[@OID='IT.ELIG.IN15']/o:Question/o:TranslatedText/text()")
        assert question[0].startswith("Documented ALK fusion positivity")
    # records without sub-headings keep items without a Description
    a, _b = _docs(DATA / "ctgov-v2" / "NCT00711542.json")
    assert not _x(a, "1.3.2", "//o:ItemDef[starts-with(@OID, 'IT.ELIG.')]/o:Description")


CORPUS_CASES = ["NCT00711542", "NCT05711992", "NCT05605535", "NCT03983954"]


@pytest.mark.parametrize("nct", CORPUS_CASES)
def test_corpus_study(nct):
    """Phase / masking / model / ages / arms / sites / outcomes computed from the source JSON."""
    src = json.loads((DATA / "ctgov-v2" / f"{nct}.json").read_text(encoding="utf-8"))["protocolSection"]
    a, b = _docs(DATA / "ctgov-v2" / f"{nct}.json")
    design = src["designModule"]
    info = design.get("designInfo", {})
    # phase: the phases array joined, through the crosswalk
    if design.get("phases"):
        row = _crosswalk("phase")["|".join(design["phases"])]
        assert _ts132(a, "TPHASE") == [row["cdisc"]] and _ts20(b, "TPHASE") == [(row["cdisc"], row["nci"])]
    else:
        assert _ts132(a, "TPHASE") == [] and not _x(b, "2.0", "//o:TrialPhase")
    # masking: coded when CDISC has a term, else the registry text in the uncoded item (never a wrong code)
    masking = info.get("maskingInfo", {}).get("masking")
    if masking:
        row = _crosswalk("masking")[masking]
        if row["cdisc"]:
            assert _x(a, "1.3.2", "//o:ItemData[@ItemOID='IT.TS.TBLIND']/@Value") == [row["cdisc"]]
            assert _ts20(b, "TBLIND") == [(row["cdisc"], row["nci"])]
        else:
            assert _x(a, "1.3.2", "//o:ItemData[@ItemOID='IT.TS.TBLIND.TXT']/@Value") == [masking]
            assert _x(a, "1.3.2", "//o:ItemData[@ItemOID='IT.TS.TBLIND']") == []
            assert _ts20(b, "TBLIND") == [(masking, None)]
    model = info.get("interventionModel")
    if model:
        row = _crosswalk("intervention_model")[model]
        assert _ts20(b, "INTMODEL") == [(row["cdisc"] or model, row["nci"] or None)]
    obs = info.get("observationalModel")
    if obs:
        row = _crosswalk("observational_model")[obs]
        assert _ts20(b, "OBSMODEL") == [(row["cdisc"] or obs, row["nci"] or None)]
    # ages: hard range checks in their own units; ISO 8601 TS values
    elig = src["eligibilityModule"]
    lo, hi = _age(elig.get("minimumAge")), _age(elig.get("maximumAge"))
    checks = _x(a, "1.3.2", "//o:ItemDef[@OID='IT.DM.AGE']/o:RangeCheck")
    expected = [(c, v, f"MU.{u.upper()}") for c, lim in (("GE", lo), ("LE", hi)) if lim for v, u in [lim]]
    ns = NS["1.3.2"]
    got = [(c.get("Comparator"), c.findtext("o:CheckValue", namespaces=ns),
            c.find("o:MeasurementUnitRef", namespaces=ns).get("MeasurementUnitOID")) for c in checks]
    assert got == expected
    if lo:
        assert _ts132(a, "AGEMIN") == [f"P{lo[0]}{lo[1][0].upper()}"]
    sex = elig.get("sex", "ALL")
    offered = ["F", "M"] if sex == "ALL" else [_crosswalk("sex")[sex]["cdisc"]]
    assert _x(b, "2.0", "//o:CodeList[@OID='CL.SEX']/o:CodeListItem/@CodedValue") == offered
    # arms with their types
    arms = src.get("armsInterventionsModule", {}).get("armGroups", [])
    assert len(_x(a, "1.3.2", "//o:CodeList[@OID='CL.ARM']/o:CodeListItem")) == len(arms)
    assert _x(b, "2.0", "//o:StudyStructure/o:Arm/@Name") == [g["label"] for g in arms]
    for i, g in enumerate(arms, 1):
        ali = _x(a, "1.3.2", f"//o:CodeListItem[@CodedValue='ARM{i:02d}']/o:Alias[@Context='ClinicalTrials.gov']/@Name")
        assert ali == ([g["type"]] if g.get("type") else [])
    # sites: 1.3.2 Locations; 2.0 Locations with address and geo position
    locs = src.get("contactsLocationsModule", {}).get("locations", [])
    assert len(_x(a, "1.3.2", "//o:Location[@LocationType='Site']")) == len(locs)
    geo = [(str(float(x["geoPoint"]["lat"])), str(float(x["geoPoint"]["lon"]))) for x in locs if "geoPoint" in x]
    assert [(g.get("Latitude"), g.get("Longitude")) for g in _x(b, "2.0", "//o:Location//o:GeoPosition")] == geo
    # outcomes: TS measures and 2.0 endpoints by level
    out = src.get("outcomesModule", {})
    levels = (("primaryOutcomes", "OUTMSPRI", "Primary"), ("secondaryOutcomes", "OUTMSSEC", "Secondary"))
    for key, parm, level in levels:
        measures = [o["measure"] for o in out.get(key, [])]
        assert _ts132(a, parm) == measures
        assert _x(b, "2.0", f"//o:StudyEndPoint[@Level='{level}']/@Name") == measures
    # conditions with MeSH codings
    for cond in src["conditionsModule"]["conditions"]:
        assert cond in _x(b, "2.0", "//o:StudyIndication/o:Description/o:TranslatedText/text()")
    sponsor = src["sponsorCollaboratorsModule"]["leadSponsor"]["name"]
    assert _x(b, "2.0", "//o:Organization[@OID='ORG.SPONSOR']/@Name") == [sponsor]
    assert _ts132(a, "SPONSOR") == [sponsor]
