"""The matrix test's own machinery (tests/fragments.py): paths, TS lookups and comparisons, on hand-made documents."""

from __future__ import annotations

import pytest
from fragments import PathError, check, compare, fhir_path, odm_xpath, ts_parameter, ts_values
from lxml import etree

BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"fullUrl": "urn:uuid:rs", "resource": {
            "resourceType": "ResearchStudy",
            "sponsor": {"reference": "urn:uuid:org"},
            "arm": [{"name": "A", "type": {"coding": [{"code": "experimental"}]}}, {"name": "B"}],
            "extension": [
                {"url": "http://x/label", "extension": [{"url": "value", "valueString": "L1"}]},
                {"url": "http://x/other", "valueString": "no"},
                {"url": "http://x/label", "extension": [{"url": "value", "valueString": "L2"}]},
            ],
            "recruitment": {"actualNumber": 0},
            "flag": True,
        }},
        {"fullUrl": "urn:uuid:org", "resource": {"resourceType": "Organization", "name": "Sponsor Inc."}},
        {"fullUrl": "urn:uuid:loc1", "resource": {"resourceType": "Location", "name": "X", "address": {"city": "P"}}},
        {"fullUrl": "urn:uuid:loc2", "resource": {"resourceType": "Location", "name": "Y", "address": {"city": "Q"}}},
    ],
}


@pytest.mark.parametrize(("path", "want"), [
    ("Location.name", ["X", "Y"]),
    ("Location.where(name='Y').address.city", ["Q"]),
    ("ResearchStudy.sponsor.resolve().name", ["Sponsor Inc."]),
    ("ResearchStudy.arm.name", ["A", "B"]),
    ("ResearchStudy.arm[1].name", ["B"]),
    ("ResearchStudy.arm.where(type.coding.code='experimental').name", ["A"]),
    ("ResearchStudy.extension('http://x/label').extension('value').valueString", ["L1", "L2"]),
    ("ResearchStudy.recruitment.actualNumber", [0]),
    ("ResearchStudy.where(flag=true).recruitment.actualNumber", [0]),
    ("ResearchStudy.where(flag=false)", []),
    ("Group.characteristic", []),
])
def test_fhir_path(path, want):
    assert fhir_path(BUNDLE, path) == want


@pytest.mark.parametrize("path", ["name", "ResearchStudy.arm.count()", "ResearchStudy.where(arm)",
                                  "ResearchStudy.arm.resolve()", "ResearchStudy.arm(", "ResearchStudy..arm"])
def test_fhir_path_rejects_mistakes(path):
    with pytest.raises(PathError):
        fhir_path(BUNDLE, path)


@pytest.mark.parametrize(("op", "expected", "got", "holds"), [
    ("equals", ["a", "b"], ["a", "b"], True),
    ("equals", ["b", "a"], ["a", "b"], False),
    ("equals", ["a"], ["a", "a"], False),
    ("equals", [{"code": "x"}], [{"code": "x", "system": "s"}], False),
    ("equals", [0], [False], False),
    ("equals", [True], [1], False),
    ("contains", [{"code": "x"}], [{"code": "y"}, {"code": "x", "system": "s"}], True),
    ("contains", ["a", "a"], ["a"], False),
    ("contains", ["a", "a"], ["a", "b", "a"], True),
    ("contains", [{"low": {"value": 1}}], [{"low": {"value": 1, "code": "a"}, "high": {"value": 2}}], True),
    ("contains", [{"low": {"value": 1}}], [{"high": {"value": 1}}], False),
    ("empty", True, [], True),
    ("empty", True, ["x"], False),
])
def test_compare(op, expected, got, holds):
    assert compare(op, expected, got) is holds


def test_check_message_names_everything():
    frag = {"at": "Location.name", "equals": ["X"], "rule": "one site"}
    msg = check("CASE · fhir-r5", frag, lambda p: fhir_path(BUNDLE, p), "at")
    assert msg and all(s in msg for s in ("CASE · fhir-r5", "Location.name", "one site", "['X']", "['X', 'Y']"))
    assert check("CASE", {**frag, "equals": ["X", "Y"]}, lambda p: fhir_path(BUNDLE, p), "at") is None


def test_check_demands_one_operator_and_a_rule():
    with pytest.raises(PathError):
        check("CASE", {"at": "Location.name", "equals": ["X"]}, lambda p: [], "at")
    with pytest.raises(PathError):
        check("CASE", {"at": "Location.name", "equals": ["X"], "empty": True, "rule": "r"}, lambda p: [], "at")


ODM132 = b"""<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study OID="S"><MetaDataVersion OID="M" Name="M">
<ItemDef OID="IT.P" Name="TSPARMCD" DataType="text" SDSVarName="TSPARMCD"><CodeListRef CodeListOID="CL.P"/></ItemDef>
<ItemDef OID="IT.N" Name="TSPARM" DataType="text" SDSVarName="TSPARM"/>
<ItemDef OID="IT.V" Name="TSVAL" DataType="text" SDSVarName="TSVAL"/>
<ItemDef OID="IT.F" Name="TSVALNF" DataType="text" SDSVarName="TSVALNF"/>
<ItemDef OID="IT.C" Name="TSVALCD" DataType="text" SDSVarName="TSVALCD"/>
<ItemDef OID="IT.R" Name="TSVCDREF" DataType="text" SDSVarName="TSVCDREF"/>
<CodeList OID="CL.P" Name="P" DataType="text"><CodeListItem CodedValue="TPHASE"><Decode><TranslatedText>x
</TranslatedText></Decode><Alias Context="nci:ExtCodeID" Name="C48281"/></CodeListItem>
<Alias Context="nci:ExtCodeID" Name="C66738"/></CodeList>
</MetaDataVersion></Study><ReferenceData StudyOID="S" MetaDataVersionOID="M">
<ItemGroupData ItemGroupOID="IG" ItemGroupRepeatKey="1"><ItemData ItemOID="IT.P" Value="TPHASE"/>
  <ItemData ItemOID="IT.N" Value="Trial Phase Classification"/><ItemData ItemOID="IT.V" Value="PHASE I TRIAL"/>
  <ItemData ItemOID="IT.C" Value="C15600"/><ItemData ItemOID="IT.R" Value="CDISC CT"/></ItemGroupData>
<ItemGroupData ItemGroupOID="IG" ItemGroupRepeatKey="2"><ItemData ItemOID="IT.P" Value="TPHASE"/>
  <ItemData ItemOID="IT.N" Value="Trial Phase Classification"/><ItemData ItemOID="IT.F" Value="OTH"/></ItemGroupData>
<ItemGroupData ItemGroupOID="IG" ItemGroupRepeatKey="3"><ItemData ItemOID="IT.P" Value="SPONSOR"/>
  <ItemData ItemOID="IT.V" Value="Acme"/></ItemGroupData></ReferenceData></ODM>"""

ODM20 = b"""<ODM xmlns="http://www.cdisc.org/ns/odm/v2.0"><Study OID="S" StudyName="N" ProtocolName="P">
<MetaDataVersion OID="M" Name="M"><Protocol><StudySummary>
<StudyParameter OID="SP.1" Term="Trial Phase Classification" ShortName="TPHASE">
  <ParameterValue Value="PHASE I TRIAL"><Coding Code="C15600" System="https://www.cdisc.org/standards/terminology"/>
  </ParameterValue><Coding Code="C48281" System="https://www.cdisc.org/standards/terminology"/></StudyParameter>
<StudyParameter OID="SP.2" Term="Trial Phase Classification" ShortName="TPHASE">
  <ParameterValue Value=""><Coding Code="OTH" System="urn:oid:2.16.840.1.113883.5.1008"/></ParameterValue>
  <Coding Code="C48281" System="https://www.cdisc.org/standards/terminology"/></StudyParameter>
<StudyParameter OID="SP.3" Term="Clinical Study Sponsor" ShortName="SPONSOR"><ParameterValue Value="Acme"/>
  </StudyParameter>
</StudySummary></Protocol></MetaDataVersion></Study></ODM>"""


def test_ts_values_and_parameter_both_versions():
    a, b = etree.fromstring(ODM132), etree.fromstring(ODM20)
    for root, version in ((a, "1.3.2"), (b, "2.0")):
        assert ts_values(root, version, "TPHASE") == [("PHASE I TRIAL", "C15600", None), (None, None, "OTH")]
        assert ts_parameter(root, version, "TPHASE") == [("Trial Phase Classification", "C48281")]
        assert ts_values(root, version, "AGEMAX") == []
        assert ts_values(root, version, "SPONSOR") == [("Acme", None, None)]


def test_odm_xpath_values_and_mistakes():
    a = etree.fromstring(ODM132)
    assert odm_xpath(a, "1.3.2", "//o:ItemDef/@OID") == ["IT.P", "IT.N", "IT.V", "IT.F", "IT.C", "IT.R"]
    assert odm_xpath(a, "1.3.2", "count(//o:ItemDef)") == [6]
    with pytest.raises(PathError):
        odm_xpath(a, "1.3.2", "//o:ItemDef")
    with pytest.raises(PathError):
        odm_xpath(a, "1.3.2", "//o:ItemDef[")
