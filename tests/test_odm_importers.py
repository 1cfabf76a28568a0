"""Importer realism: what real EDCs do with our ODM 1.3.2, stated as code and run on every fixture.

Two importers read ODM 1.3.x metadata into a working project. Their behaviour, from their public documentation and
source, is modelled here rule by rule (each rule named; the model raises or drops where the importer does):

REDCap, "Create new project from a CDISC ODM XML file" (REDCap uses ODM 1.3.x for its XML import and export):
  RECORD-ID-FIRST          the first field of the first instrument becomes the record id field (REDCap data
                           dictionary rule), so it must be a text field, not a coded question;
  FIELD-LABEL              an item's Question is the field label: an item without one lands with a blank label;
  ONE-CODELIST-PER-FIELD   a field's choices come from its code list, and a code list serves one field: when several
                           items share one, only the last keeps the choices (the issue-13 audit: 15 of 27 dropdowns
                           of the seed empty);
  REF-DATA-OFF-CRF         the instruments are built from the item groups of the (first) MetaDataVersion: reference
                           data defined there (IsReferenceData) would land on a CRF with blank labels;
  NO-METHOD-TEXT           REDCap runs no ODM MethodDef and misreads its Description text as an extra choice.
OpenEDC (imi-muenster/OpenEDC, js/helper/admindatahelper.js and the admin-data wrapper), loading a project file:
  USER-NAMES               users are listed as FirstName + " " + LastName (``querySelector("FirstName").textContent``):
                           a User without FirstName or LastName stops the import with an error;
  CURRENT-USER             without login the current user is the first User (``getUsers()[0]``): AdminData with
                           Locations needs at least one User;
  SITE-NAMES               sites are found by name (``getSiteOIDByName``): two sites with one name are one site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT
from fragments import ODM_NS
from lxml import etree

FIXTURES = sorted((ROOT / "fixtures" / "expected").glob("*/*.odm-1.3.2.xml"))
NS = {"o": ODM_NS["1.3.2"]}


class ImportError_(Exception):
    """The importer stops (OpenEDC throws)."""


@dataclass
class Field:
    name: str
    form: str
    label: str
    choices: list[str] = field(default_factory=list)
    coded: bool = False


def redcap_fields(root: etree._Element) -> list[Field]:
    """The fields REDCap builds from the first MetaDataVersion, in instrument order (the rules of the docstring)."""
    mdv = root.xpath("//o:Study/o:MetaDataVersion", namespaces=NS)[0]
    defs = {d.get("OID"): d for d in mdv.xpath("o:ItemDef", namespaces=NS)}
    lists = {c.get("OID"): c for c in mdv.xpath("o:CodeList", namespaces=NS)}
    methods = [m.xpath("string(o:Description)", namespaces=NS).strip() for m in mdv.xpath("o:MethodDef", namespaces=NS)]
    fields: list[Field] = []
    owner: dict[str, Field] = {}  # ONE-CODELIST-PER-FIELD: the last field referring to a code list keeps it
    forms = [ref.get("FormOID") for ev in mdv.xpath("o:StudyEventDef", namespaces=NS)
             for ref in ev.xpath("o:FormRef", namespaces=NS)]
    groups = [(form, g) for form in forms for g in mdv.xpath(
        f"o:FormDef[@OID='{form}']/o:ItemGroupRef/@ItemGroupOID", namespaces=NS)]
    groups += [(g, g) for g in mdv.xpath("o:ItemGroupDef/@OID", namespaces=NS) if g not in {x for _, x in groups}]
    for form, group in groups:  # REF-DATA-OFF-CRF: a group on no form still becomes an instrument
        for ref in mdv.xpath(f"o:ItemGroupDef[@OID='{group}']/o:ItemRef/@ItemOID", namespaces=NS):
            item = defs[ref]
            f = Field(ref.lower(), form, item.xpath("string(o:Question)", namespaces=NS).strip())
            for cl in item.xpath("o:CodeListRef/@CodeListOID", namespaces=NS):
                f.coded = True
                if cl in owner:
                    owner[cl].choices = []
                owner[cl] = f
                f.choices = [i.get("CodedValue") for i in lists[cl].xpath("o:CodeListItem", namespaces=NS)]
                if cl == list(lists)[-1] and methods:  # NO-METHOD-TEXT: the derivation text read as a choice
                    f.choices += methods
            fields.append(f)
    return fields


def openedc_users_and_sites(root: etree._Element) -> tuple[list[str], dict[str, str]]:
    """What OpenEDC shows: user names (USER-NAMES, CURRENT-USER) and its site lookup by name (SITE-NAMES)."""
    admin = root.find("o:AdminData", namespaces=NS)
    if admin is None:
        return [], {}
    users = admin.findall("o:User", namespaces=NS)
    names = []
    for u in users:
        first, last = u.find("o:FirstName", namespaces=NS), u.find("o:LastName", namespaces=NS)
        if first is None or last is None:
            raise ImportError_(f"TypeError: cannot read textContent of null (User {u.get('OID')})")
        names.append(f"{first.text or ''} {last.text or ''}")
    if admin.findall("o:Location", namespaces=NS) and not users:
        raise ImportError_("TypeError: getUsers()[0] is undefined")
    sites: dict[str, str] = {}
    for loc in admin.xpath("o:Location[@LocationType='Site']", namespaces=NS):
        sites.setdefault(loc.get("Name"), loc.get("OID"))  # querySelector finds the first site of that name
    return names, sites


def _doc(path: Path) -> etree._Element:
    return etree.fromstring(path.read_bytes())


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.parent.name)
def test_redcap_builds_a_usable_project(path: Path) -> None:
    fields = redcap_fields(_doc(path))
    first = fields[0]
    assert not first.coded and first.label, f"RECORD-ID-FIRST: the record id would be {first.name}"
    assert [f.name for f in fields if not f.label] == [], "FIELD-LABEL"
    assert [f.name for f in fields if f.coded and not f.choices] == [], "ONE-CODELIST-PER-FIELD"
    assert all(not f.form.startswith("IG.TS") for f in fields), "REF-DATA-OFF-CRF"
    root = _doc(path)
    methods = [m.xpath("string(o:Description)", namespaces=NS).strip()
               for m in root.xpath("//o:Study/o:MetaDataVersion[1]/o:MethodDef", namespaces=NS)]
    assert not [f.name for f in fields if set(methods) & set(f.choices)], "NO-METHOD-TEXT"
    assert methods == [], "NO-METHOD-TEXT: REDCap runs no MethodDef"


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.parent.name)
def test_openedc_loads_users_and_sites(path: Path) -> None:
    root = _doc(path)
    names, sites = openedc_users_and_sites(root)  # USER-NAMES / CURRENT-USER raise
    assert all(n.strip() and " " in n.strip() for n in names), "USER-NAMES: a first and a last name each"
    locations = root.xpath("//o:AdminData/o:Location[@LocationType='Site']", namespaces=NS)
    assert len(sites) == len(locations), "SITE-NAMES: two sites share a name"


def test_the_rules_catch_what_the_audit_found() -> None:
    """The model fails on the shapes issue 13 reported: shared code lists, reference data in the EDC metadata, a coded
    first field, a MethodDef, a user without FirstName, sites of one name."""
    bad = etree.fromstring(b"""<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><Study OID="S"><MetaDataVersion OID="M"
 Name="M"><StudyEventDef OID="E" Name="E" Repeating="No" Type="Scheduled"><FormRef FormOID="F" Mandatory="Yes"/>
 </StudyEventDef><FormDef OID="F" Name="F" Repeating="No"><ItemGroupRef ItemGroupOID="G" Mandatory="Yes"/></FormDef>
 <ItemGroupDef OID="G" Name="G" Repeating="No"><ItemRef ItemOID="A" Mandatory="No"/><ItemRef ItemOID="B"
 Mandatory="No"/></ItemGroupDef><ItemGroupDef OID="IG.TS" Name="TS" Repeating="Yes" IsReferenceData="Yes"><ItemRef
 ItemOID="T" Mandatory="No"/></ItemGroupDef>
 <ItemDef OID="A" Name="A" DataType="text"><Question><TranslatedText>a</TranslatedText></Question><CodeListRef
 CodeListOID="NY"/></ItemDef><ItemDef OID="B" Name="B" DataType="text"><Question><TranslatedText>b</TranslatedText>
 </Question><CodeListRef CodeListOID="NY"/></ItemDef><ItemDef OID="T" Name="T" DataType="text"/>
 <CodeList OID="NY" Name="NY" DataType="text"><CodeListItem CodedValue="Y"><Decode><TranslatedText>Yes
 </TranslatedText></Decode></CodeListItem></CodeList><MethodDef OID="M1" Name="m" Type="Computation"><Description>
 <TranslatedText>Y when all</TranslatedText></Description></MethodDef></MetaDataVersion></Study>
 <AdminData><User OID="U"><LastName>x</LastName></User><Location OID="L1" Name="Clinic" LocationType="Site"/>
 <Location OID="L2" Name="Clinic" LocationType="Site"/></AdminData></ODM>""")
    fields = redcap_fields(bad)
    assert fields[0].coded  # RECORD-ID-FIRST would make a yes/no question the record id
    assert [f.name for f in fields if f.coded and not f.choices] == ["a"]  # ONE-CODELIST-PER-FIELD
    assert [f.form for f in fields if not f.label] == ["IG.TS"]  # REF-DATA-OFF-CRF, FIELD-LABEL
    assert "Y when all" in fields[1].choices  # NO-METHOD-TEXT
    with pytest.raises(ImportError_):
        openedc_users_and_sites(bad)  # USER-NAMES
    bad.find("o:AdminData/o:User", namespaces=NS).insert(0, etree.Element(f"{{{NS['o']}}}FirstName"))
    assert len(openedc_users_and_sites(bad)[1]) == 1  # SITE-NAMES: two Locations, one site


def test_corpus_1_3_2_documents_import_too(all_trials) -> None:
    """The same rules on every corpus record, not only the fixtures."""
    import trialexport

    assert len(CORPUS) > 40
    for name, trial in all_trials.items():
        root = etree.fromstring(trialexport.to_odm(trial, version="1.3.2"))
        fields = redcap_fields(root)
        assert not fields[0].coded and all(f.label for f in fields), name
        assert not [f for f in fields if f.coded and not f.choices], name
        users, sites = openedc_users_and_sites(root)
        assert all(u.strip() for u in users), name
        assert len(sites) == len(root.xpath("//o:Location[@LocationType='Site']", namespaces=NS)), name
