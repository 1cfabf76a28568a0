"""ODM validation (official XSDs + OID references) and the hardened XML parser."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from trialexport.diagnostics import TrialExportError
from trialexport.formats.odm import validation as odm
from trialexport.formats.odm import xsd
from trialexport.formats.odm.validation import detect_odm_version, validate_odm
from trialexport.xmlsafe import parse_xml

# Hand-written from the XSDs: the smallest useful study metadata in each version.
ODM_132 = b"""<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" FileType="Snapshot" FileOID="FILE.1"
     CreationDateTime="2024-01-01T00:00:00" ODMVersion="1.3.2">
  <Study OID="ST.1">
    <GlobalVariables>
      <StudyName>S</StudyName>
      <StudyDescription>D</StudyDescription>
      <ProtocolName>P</ProtocolName>
    </GlobalVariables>
    <MetaDataVersion OID="MDV.1" Name="v1">
      <Protocol>
        <StudyEventRef StudyEventOID="SE.1" Mandatory="Yes"/>
      </Protocol>
      <StudyEventDef OID="SE.1" Name="Baseline" Repeating="No" Type="Scheduled">
        <FormRef FormOID="FORM.DM" Mandatory="Yes"/>
      </StudyEventDef>
      <FormDef OID="FORM.DM" Name="Demographics" Repeating="No">
        <ItemGroupRef ItemGroupOID="IG.DM" Mandatory="Yes"/>
      </FormDef>
      <ItemGroupDef OID="IG.DM" Name="DM" Repeating="No">
        <ItemRef ItemOID="IT.AGE" Mandatory="Yes"/>
      </ItemGroupDef>
      <ItemDef OID="IT.AGE" Name="Age" DataType="integer"/>
    </MetaDataVersion>
  </Study>
  <ClinicalData StudyOID="ST.1" MetaDataVersionOID="MDV.1">
    <SubjectData SubjectKey="001">
      <StudyEventData StudyEventOID="SE.1">
        <FormData FormOID="FORM.DM">
          <ItemGroupData ItemGroupOID="IG.DM">
            <ItemData ItemOID="IT.AGE" Value="42"/>
          </ItemGroupData>
        </FormData>
      </StudyEventData>
    </SubjectData>
  </ClinicalData>
</ODM>
"""

ODM_20 = b"""<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v2.0" FileType="Snapshot" FileOID="FILE.1"
     CreationDateTime="2024-01-01T00:00:00" ODMVersion="2.0">
  <Study OID="ST.1" StudyName="S" ProtocolName="P">
    <MetaDataVersion OID="MDV.1" Name="v1">
      <Protocol>
        <StudyEventGroupRef StudyEventGroupOID="SEG.1" Mandatory="Yes"/>
      </Protocol>
      <StudyEventGroupDef OID="SEG.1" Name="Main">
        <StudyEventRef StudyEventOID="SE.1" Mandatory="Yes"/>
      </StudyEventGroupDef>
      <StudyEventDef OID="SE.1" Name="Baseline" Repeating="No" Type="Scheduled">
        <ItemGroupRef ItemGroupOID="IG.DM" Mandatory="Yes"/>
      </StudyEventDef>
      <ItemGroupDef OID="IG.DM" Name="DM" Repeating="No" Type="Form">
        <ItemRef ItemOID="IT.AGE" Mandatory="Yes"/>
      </ItemGroupDef>
      <ItemDef OID="IT.AGE" Name="Age" DataType="integer"/>
    </MetaDataVersion>
  </Study>
</ODM>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE ODM [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study OID="&xxe;"/></ODM>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""


def line_of(doc: bytes, needle: bytes) -> int:
    return doc[: doc.index(needle)].count(b"\n") + 1


# --------------------------------------------------------------------------- XSD validation


@pytest.mark.parametrize(("doc", "version"), [(ODM_132, "1.3.2"), (ODM_20, "2.0")])
def test_minimal_files_are_valid(doc: bytes, version: str) -> None:
    assert detect_odm_version(doc) == version
    assert validate_odm(doc) == []
    assert validate_odm(doc, version) == []


@pytest.mark.parametrize("doc", [ODM_132, ODM_20])
def test_missing_required_attribute_has_line_and_path(doc: bytes) -> None:
    broken = doc.replace(b' Name="Age"', b"")
    (d,) = validate_odm(broken, source="study.xml")
    assert (d.code, d.file, d.line) == ("ODM-XSD", "study.xml", line_of(doc, b'<ItemDef OID="IT.AGE"'))
    assert "'Name' is required" in d.message and "{http" not in d.message
    assert d.path == "/ODM/Study[@OID='ST.1']/MetaDataVersion[@OID='MDV.1']/ItemDef[@OID='IT.AGE']"


def test_each_schema_error_is_reported() -> None:
    broken = ODM_20.replace(b' Repeating="No" Type="Form"', b' Repeating="Often" Type="Form"').replace(
        b' DataType="integer"', b' DataType="number"'
    )
    got = validate_odm(broken)
    assert [d.code for d in got] == ["ODM-XSD", "ODM-XSD"]
    assert [d.line for d in got] == [line_of(ODM_20, b'<ItemGroupDef OID="IG.DM"'), line_of(ODM_20, b"<ItemDef")]


def test_wrong_version_or_not_odm() -> None:
    (d,) = validate_odm(ODM_132, "2.0")
    assert d.code == "ODM-XSD" and "No matching global declaration" in d.message
    (d,) = validate_odm(b"<root/>")
    assert d.code == "ODM-VERSION"
    (d,) = validate_odm(ODM_132.replace(b'ODMVersion="1.3.2"', b'ODMVersion="1.2"'))
    assert d.code == "ODM-VERSION" and "'1.2'" in d.message
    assert detect_odm_version(b"<root/>") is None
    assert detect_odm_version(b"not xml") is None
    with pytest.raises(ValueError, match="unknown ODM version"):
        validate_odm(ODM_132, "1.3")


def test_schemas_compile_offline_from_vendored_files_only(tmp_path: Path) -> None:
    assert odm.MAIN_XSD == {"1.3.2": "ODM1-3-2.xsd", "2.0": "ODM.xsd"}
    for version in odm.MAIN_XSD:
        assert isinstance(odm.odm_schema(version), etree.XMLSchema)
    sneaky = tmp_path / "sneaky.xsd"
    sneaky.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:import namespace="urn:x" schemaLocation="http://example.org/remote.xsd"/>'
        '<xs:include schemaLocation="../outside.xsd"/></xs:schema>'
    )
    for structural in (False, True):  # the full schema, and the one without identity constraints
        parser, resolver = xsd._schema_parser(tmp_path, structural)
        with pytest.raises(etree.XMLSchemaParseError):
            etree.XMLSchema(etree.parse(str(sneaky), parser))
        assert any("example.org" in url or "outside.xsd" in url for url in resolver.refused)
        assert isinstance(xsd.structural_schema(version), etree.XMLSchema)


# --------------------------------------------------------------------------- OID references


@pytest.mark.parametrize("doc", [ODM_132, ODM_20])
def test_dangling_item_oid(doc: bytes) -> None:
    broken = doc.replace(b'<ItemRef ItemOID="IT.AGE"', b'<ItemRef ItemOID="IT.NOPE"')
    (d,) = validate_odm(broken)
    assert (d.code, d.line) == ("ODM-OIDREF", line_of(doc, b"<ItemRef"))
    assert d.path == "/ODM/Study[@OID='ST.1']/MetaDataVersion[@OID='MDV.1']/ItemGroupDef[@OID='IG.DM']/ItemRef/@ItemOID"
    assert "'IT.NOPE'" in d.message and "ItemDef/@OID" in d.message


def test_reference_to_the_wrong_kind_of_definition() -> None:
    (d,) = validate_odm(ODM_20.replace(b'ItemGroupOID="IG.DM" Mandatory', b'ItemGroupOID="IT.AGE" Mandatory'))
    assert d.code == "ODM-OIDREF" and "ItemGroupDef" in d.message and "ItemDef" in d.message


def test_study_and_metadata_version_refs_resolve_to_study_and_mdv() -> None:
    assert validate_odm(ODM_132) == []  # ClinicalData/@StudyOID, @MetaDataVersionOID resolve
    broken = ODM_132.replace(b'MetaDataVersionOID="MDV.1"', b'MetaDataVersionOID="ST.1"')
    (d,) = validate_odm(broken)
    assert d.code == "ODM-OIDREF" and "MetaDataVersion" in d.message and d.path.endswith("/@MetaDataVersionOID")
    (d,) = validate_odm(ODM_132.replace(b'<FormData FormOID="FORM.DM"', b'<FormData FormOID="FORM.X"'))
    assert d.code == "ODM-OIDREF" and d.line == line_of(ODM_132, b"<FormData")


def test_references_outside_the_file_are_not_checked() -> None:
    prior = ODM_132.replace(b'FileOID="FILE.1"', b'FileOID="FILE.1" PriorFileOID="FILE.0"')
    assert validate_odm(prior) == []


def test_reference_attributes_come_from_the_xsds() -> None:
    r132, r20 = odm.oidref_attributes("1.3.2"), odm.oidref_attributes("2.0")
    assert r132["ItemRef"] >= {"ItemOID", "MethodOID", "RoleCodeListOID", "ImputationMethodOID"}
    assert r132["FormRef"] == {"FormOID", "CollectionExceptionConditionOID"}
    assert r132["ClinicalData"] == r20["ClinicalData"] == {"StudyOID", "MetaDataVersionOID"}
    assert "FormRef" not in r20  # forms are ItemGroupDefs in ODM 2.0
    assert r20["StudyEventGroupDef"] == {"ArmOID", "EpochOID", "CommentOID"}
    assert r20["ItemGroupDef"] >= {"ArchiveLocationID", "CommentOID"}
    assert "OID" not in r20.get("KeySet", set()) and "OID" in r132["KeySet"]  # as declared by the 1.3.2 XSD
    assert r132["ODM"] == r20["ODM"] == {"PriorFileOID"}


# --------------------------------------------------------------------------- safe parsing


def test_xxe_is_rejected_and_nothing_is_read(tmp_path: Path) -> None:
    f = tmp_path / "xxe.xml"
    f.write_bytes(XXE)
    with pytest.raises(TrialExportError) as exc:
        parse_xml(f.read_bytes(), source=str(f))
    d = exc.value.diagnostic
    assert (d.code, d.file, d.line) == ("XML-UNSAFE", str(f), 2)
    assert "internal subset" in d.message and "root:" not in d.message
    (d,) = validate_odm(XXE)
    assert d.code == "XML-UNSAFE"


def test_billion_laughs_is_rejected_quickly(tmp_path: Path) -> None:
    f = tmp_path / "lol.xml"
    f.write_bytes(BILLION_LAUGHS)
    with pytest.raises(TrialExportError) as exc:
        parse_xml(f.read_bytes())
    assert exc.value.diagnostic.code == "XML-UNSAFE"
    assert "\n" not in str(exc.value) and "lollol" not in str(exc.value)


@pytest.mark.parametrize(
    "doc",
    [
        b'<!DOCTYPE ODM SYSTEM "http://example.org/odm.dtd"><ODM/>',
        b'<!DOCTYPE ODM PUBLIC "-//X//DTD ODM//EN" "odm.dtd"><ODM/>',
        b'<!DOCTYPE ODM [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><ODM/>',
        b'<!DOCTYPE ODM [<!ATTLIST ODM FileOID CDATA "injected">]><ODM/>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'.encode("utf-16"),
        # pyexpat cannot read Shift_JIS: the lxml docinfo fallback must still refuse it
        '<?xml version="1.0" encoding="Shift_JIS"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'.encode("shift_jis"),
        '<?xml version="1.0" encoding="Shift_JIS"?><!DOCTYPE a SYSTEM "a.dtd"><a/>'.encode("shift_jis"),
    ],
)
def test_other_dtd_tricks_are_rejected(doc: bytes) -> None:
    with pytest.raises(TrialExportError) as exc:
        parse_xml(doc)
    assert exc.value.diagnostic.code == "XML-UNSAFE"


def test_plain_documents_parse() -> None:
    assert parse_xml(b"<!DOCTYPE a><a>x</a>").getroot().text == "x"  # a bare DOCTYPE declares nothing
    assert parse_xml(ODM_20).getroot().get("ODMVersion") == "2.0"
    assert (
        parse_xml('<?xml version="1.0" encoding="Shift_JIS"?><a>日本</a>'.encode("shift_jis")).getroot().text == "日本"
    )
    with pytest.raises(TypeError):
        parse_xml("<a/>")  # type: ignore[arg-type]


def test_malformed_xml_reports_line_and_column() -> None:
    with pytest.raises(TrialExportError) as exc:
        parse_xml(b"<ODM>\n  <Study>\n</ODM>\n", source="bad.xml")
    d = exc.value.diagnostic
    assert (d.code, d.file, d.line) == ("XML-PARSE", "bad.xml", 3)
    assert d.col is not None and "mismatch" in d.message
    (d,) = validate_odm(b"")
    assert d.code == "XML-PARSE"


def test_import_is_lazy() -> None:
    code = "import trialexport.formats.odm.validation as o\nassert o.odm_schema.cache_info().currsize == 0\n"
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- every reference kind


def _oidref_errors(doc: bytes) -> list[tuple[str, str]]:
    """(path without predicates, message) of the ODM-OIDREF diagnostics of ``doc`` (schema errors ignored)."""
    return [(re.sub(r"\[[^]]*\]", "", d.path), d.message) for d in validate_odm(doc) if d.code == "ODM-OIDREF"]


def _with_probe(doc: bytes, probe: str) -> bytes:
    return doc.replace(b"</MetaDataVersion>", probe.encode() + b"</MetaDataVersion>")


@pytest.mark.parametrize(("doc", "version"), [(ODM_132, "1.3.2"), (ODM_20, "2.0")])
def test_every_reference_attribute_is_checked(doc: bytes, version: str) -> None:
    """Each oidref attribute of each element: dangling and wrong-kind values are reported, right-kind ones pass."""
    checked = 0
    for name, attrs in sorted(odm.oidref_attributes(version).items()):
        for attr in sorted(attrs):
            if (name, attr) in odm._EXTERNAL or (name == "SourceItem" and attr in odm._SOURCE_SKIPPED):
                continue  # outside the file by definition (SourceItem: test_source_item_naming_another_study...)
            checked += 1
            path_end = f"/{name}/@{attr}"
            dangling = _oidref_errors(_with_probe(doc, f'<{name} {attr}="NOPE.1"/>'))
            assert [p.endswith(path_end) for p, _ in dangling] == [True], (name, attr, dangling)
            assert "'NOPE.1'" in dangling[0][1]
            if attr in odm._ID_REFS:
                assert "Leaf/@ID" in dangling[0][1]
                ok = _with_probe(doc, f'<Leaf ID="LF.1"/><{name} {attr}="LF.1"/>')
                assert _oidref_errors(ok) == [], (name, attr)
                continue
            wanted = odm.TARGETS.get(attr)
            if not wanted:  # any element's @OID will do
                assert _oidref_errors(_with_probe(doc, f'<{name} {attr}="IT.AGE"/>')) == [], (name, attr)
                continue
            wrong = "Study" if "Study" not in wanted else "MetaDataVersion"
            oid = "ST.1" if wrong == "Study" else "MDV.1"
            (d,) = _oidref_errors(_with_probe(doc, f'<{name} {attr}="{oid}"/>'))
            assert d[0].endswith(path_end) and f"it is the OID of: {wrong}" in d[1], (name, attr, d)
            for kind in wanted:
                right = _with_probe(doc, f'<{kind} OID="X.DEF"/><{name} {attr}="X.DEF"/>')
                assert _oidref_errors(right) == [], (name, attr, kind)
    assert checked > 40


def test_an_oid_defined_by_two_kinds_satisfies_either() -> None:
    doc = _with_probe(ODM_20, '<CodeList OID="IT.AGE" Name="x" DataType="text"/>')  # IT.AGE: ItemDef and CodeList
    assert _oidref_errors(doc) == []
    (d,) = _oidref_errors(doc.replace(b'<ItemRef ItemOID="IT.AGE"', b'<ItemRef ItemOID="IG.DM"'))
    assert "it is the OID of: ItemGroupDef" in d[1]
    (d,) = _oidref_errors(doc.replace(b'<ItemGroupRef ItemGroupOID="IG.DM"', b'<ItemGroupRef ItemGroupOID="IT.AGE"'))
    assert "it is the OID of: CodeList, ItemDef" in d[1]


def test_keyset_oid_is_a_reference_in_132() -> None:
    """1.3.2 declares KeySet/@OID as oidref: it must resolve, and it defines nothing."""
    (d,) = _oidref_errors(_with_probe(ODM_132, '<KeySet OID="NOPE.1"/>'))
    assert d[0].endswith("/KeySet/@OID")
    assert _oidref_errors(_with_probe(ODM_132, '<KeySet OID="IT.AGE"/>')) == []
    probe = '<KeySet OID="IT.AGE"/><ItemRef ItemOID="IT.KS"/><KeySet OID="IT.KS"/>'
    assert [p.rsplit("/", 2)[-2:] for p, _ in _oidref_errors(_with_probe(ODM_132, probe))] == [
        ["ItemRef", "@ItemOID"], ["KeySet", "@OID"]
    ]


def test_source_item_naming_another_study_is_not_checked() -> None:
    outside = '<SourceItem StudyOID="OTHER" ItemOID="IT.ELSEWHERE" ItemGroupOID="IG.ELSEWHERE"/>'
    assert _oidref_errors(_with_probe(ODM_20, outside)) == []
    here = '<SourceItem ItemOID="IT.NOPE"/>'
    (d,) = _oidref_errors(_with_probe(ODM_20, here))
    assert d[0].endswith("/SourceItem/@ItemOID")
    leaf = '<SourceItem leafID="LF.X" ItemOID="IT.NOPE"/>'  # the leaf itself must exist
    (d,) = _oidref_errors(_with_probe(ODM_20, leaf))
    assert d[0].endswith("/SourceItem/@leafID")
