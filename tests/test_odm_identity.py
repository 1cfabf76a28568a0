"""The ODM XSDs' identity constraints decided on the emitter's record = libxml2 on the full schema (issue 17).

The converter validates its own ODM against the schema without identity constraints and decides them on the record
its emitter kept (:mod:`trialexport.formats.odm.identity`); the full official schema runs only when either says no.
That is sound only if (1) the record is the document, (2) every constraint the XSDs declare is read, and (3) no
document the full schema rejects for a repeated key is passed by :func:`identity.hold`. Each is checked here on real
outputs and on broken copies of them, with the full schema (libxml2) as the judge.
"""

from __future__ import annotations

import copy

import pytest
from lxml import etree

from trialexport.formats.base import Options
from trialexport.formats.odm import FAMILY as odm_family
from trialexport.formats.odm import identity
from trialexport.formats.odm.validation import validate_odm, validate_odm_parsed
from trialexport.formats.odm.xmltree import written
from trialexport.formats.odm.xsd import IDENTITY, NAMESPACES, odm_schema, structural_schema
from trialexport.resources import schema_path
from trialexport.xmlsafe import parse_xml

VERSIONS = ("1.3.2", "2.0")
XML_NS = "http://www.w3.org/XML/1998/namespace"


def record_of(root: etree._Element) -> list[tuple[str, dict[str, str | None], int]]:
    """The record (as :func:`~trialexport.formats.odm.xmltree.written` gives it) of a parsed document: an element
    outside the root's namespace is named with a prefix (``x:``), ``xml:`` attributes as written, others by local
    name."""
    ns = etree.QName(root).namespace
    out: list[tuple[str, dict[str, str | None], int]] = []

    def walk(el: etree._Element, depth: int) -> None:
        q = etree.QName(el)
        attrs: dict[str, str | None] = {}
        for name, value in el.attrib.items():
            a = etree.QName(name)
            attrs[a.localname if a.namespace is None else f"xml:{a.localname}" if a.namespace == XML_NS
                  else f"x:{a.localname}"] = value
        out.append((q.localname if q.namespace == ns else f"x:{q.localname}", attrs, depth))
        for child in el:
            if isinstance(child.tag, str):
                walk(child, depth + 1)

    walk(root, 0)
    return out


def _build(trial, version: str) -> tuple[bytes, list]:
    built = odm_family.build(trial, version, Options())
    data = odm_family.serialize(built.doc, version, Options())
    record = written(built.doc.root, data)
    assert record is not None
    return data, record


def _as_parsed(record: list) -> list:
    """The record with the attributes the emitter did not write (``None``) left out, as a parsed document has it."""
    return [(tag, {k: v for k, v in attrs.items() if v is not None}, depth) for tag, attrs, depth in record]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_identity_constraint_of_the_xsds_is_read(version: str) -> None:
    """As many constraints as the vendored XSDs declare (all ``xs:unique``, all in ODM-namespace documents: none
    would be stripped from the structural schema without being read), with the forms the ODM specification gives
    them, read from the XSDs as data."""
    declared = []
    for path in schema_path(f"odm-{version}").glob("*.xsd"):
        root = etree.parse(str(path)).getroot()
        declared += [(root.get("targetNamespace"), etree.QName(n).localname) for n in root.iter(*IDENTITY)]
    assert declared and {d for d in declared} == {(NAMESPACES[version], "unique")}
    found = identity.constraints(version)
    assert found is not None and len(found) == len(declared) == {"1.3.2": 45, "2.0": 41}[version]
    shapes = {(u.scope, u.path, u.fields) for u in found}
    assert ("ItemGroupDef", ("ItemRef",), ("ItemOID",)) in shapes
    assert ("ItemGroupDef", ("ItemRef",), ("OrderNumber",)) in shapes
    assert ("CodeList", ("CodeListItem",), ("CodedValue",)) in shapes
    assert ("MetaDataVersion", ("*",), ("OID",)) in shapes  # every OID of the metadata version, across kinds
    assert ("AdminData", ("Location",), ("OID",)) in shapes
    if version == "1.3.2":
        assert ("Study", ("BasicDefinitions", "MeasurementUnit"), ("OID",)) in shapes
        assert ("Question", ("TranslatedText",), ("xml:lang",)) in shapes
    else:
        assert ("Question", ("TranslatedText",), ("Type", "xml:lang")) in shapes


@pytest.mark.parametrize("version", VERSIONS)
def test_constrained_attributes_are_of_types_compared_as_text_or_whole_numbers(version: str) -> None:
    """The check reproduces (or loosens) only text and whole-number equality: the types of the constrained attributes
    are read from the XSDs (ODM 1.3.2 ``integer`` restricts xs:integer; 2.0 uses xs:positiveInteger; ``oid``
    restricts xs:string; xml:lang is xs:language), and a type compared otherwise would turn the check off."""
    types = identity._attribute_types(version)
    number = {"1.3.2": "integer", "2.0": "positiveInteger"}[version]
    assert types["OrderNumber"] == types["KeySequence"] == {number}
    assert types["OID"] == {"string"} and types["xml:lang"] == {"language"}
    assert {"decimal", "float", "double", "boolean", "dateTime", "anyURI", "QName"}.isdisjoint(identity.COMPARABLE)


@pytest.mark.parametrize("version", VERSIONS)
def test_on_every_corpus_record_the_record_is_the_document_and_both_paths_accept(corpus_trials, version) -> None:
    """Every corpus record: the emitter's record equals the parsed document's; the fast decision (structure without
    identity constraints + :func:`identity.hold`) and the full official schema both accept it."""
    checked = 0
    for res in corpus_trials.values():
        if res.trial is None:
            continue
        data, record = _build(res.trial, version)
        tree = parse_xml(data, source="x.xml")
        assert _as_parsed(record) == record_of(tree.getroot()), res.trial.study_id
        assert identity.hold(record, version), res.trial.study_id
        assert structural_schema(version).validate(tree) and odm_schema(version).validate(tree), res.trial.study_id
        checked += 1
    assert checked >= 40


@pytest.fixture(scope="module")
def documents(corpus_trials) -> dict[str, bytes]:
    """Per version, the ODM of the corpus record with the most sites up to 40 (many Locations, Aliases and items;
    small enough to validate each broken copy quickly)."""
    res = max(corpus_trials.values(), key=lambda r: len(r.trial.locations) if r.trial and len(r.trial.locations) <= 40
              else -1)
    return {version: _build(res.trial, version)[0] for version in VERSIONS}


def _key(d) -> tuple:
    return d.code, d.message, d.path, d.line, d.col


def _duplicated_copies(data: bytes, version: str):
    """(constraint, broken document) for each constraint met in ``data``: the first element it selects is repeated
    right after itself, so the copy repeats that element's key in the same scope."""
    root = etree.fromstring(data)
    ns = {"o": NAMESPACES[version]}
    for u in identity.constraints(version) or ():
        steps = "/".join("*" if s == "*" else f"o:{s}" for s in u.path)
        attrs = "".join(f"[@{f}]" for f in u.fields)
        hits = root.xpath(f"//o:{u.scope}/{steps}{attrs}", namespaces=ns)
        if not hits:
            continue
        broken = copy.deepcopy(root)
        target = broken.xpath(f"//o:{u.scope}/{steps}{attrs}", namespaces=ns)[0]
        target.addnext(copy.deepcopy(target))
        yield u, etree.tostring(broken, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize("version", VERSIONS)
def test_a_repeated_key_is_never_passed(documents, version: str) -> None:
    """For each constraint met in a large real document: a copy repeating one key is rejected by the full schema
    with that constraint named, and :func:`identity.hold` says no, so the converter's findings are the full schema's
    (libxml2's messages, lines and paths)."""
    met = 0
    for u, broken in _duplicated_copies(documents[version], version):
        tree = parse_xml(broken, source="broken.xml")
        full = odm_schema(version)
        assert not full.validate(tree), u
        assert any(u.name in str(e.message) for e in full.error_log), (u, full.error_log)
        record = record_of(tree.getroot())
        assert not identity.hold(record, version), u
        # the converter's call on those bytes and their record reports what ``trialexport validate`` reports
        fast = validate_odm(broken, version, emitted=True, written=record)
        full = validate_odm_parsed(parse_xml(broken, source="b.xml"), None, source="b.xml")
        assert [_key(d) for d in fast] == [_key(d) for d in full if d.is_error]
        met += 1
    assert met >= 15  # the constraints the converter's documents meet (Alias, ItemRef, CodeListItem, Location, ...)


@pytest.mark.parametrize("version", VERSIONS)
def test_keys_equal_by_type_but_written_differently_are_caught(documents, version: str) -> None:
    """``OrderNumber`` is a whole number: ``01`` and ``1``, or a 31-digit number with and without ``+`` and spaces,
    are the same key to the schema, and to the check (exactly: no rounding at any size)."""
    big = "1234567890123456789012345678901"
    for one, other, distinct in (("1", "01", "2"), (big, f" +{big} ", big + "0"), ("9" * 29, "+" + "9" * 29, "9" * 30)):
        root = etree.fromstring(documents[version])
        ns = {"o": NAMESPACES[version]}
        group = next(g for g in root.xpath("//o:ItemGroupDef", namespaces=ns) if len(g.findall("o:ItemRef", ns)) > 1)
        first, second = group.findall("o:ItemRef", ns)[:2]
        first.set("OrderNumber", one)
        second.set("OrderNumber", other)
        tree = parse_xml(etree.tostring(root), source="broken.xml")
        assert structural_schema(version).validate(tree), other  # nothing else is wrong
        assert not odm_schema(version).validate(tree), other
        assert not identity.hold(record_of(tree.getroot()), version), other
        second.set("OrderNumber", distinct)  # a different number: both paths accept
        tree = parse_xml(etree.tostring(root), source="ok.xml")
        assert odm_schema(version).validate(tree) and identity.hold(record_of(tree.getroot()), version)


def test_what_is_not_decided_goes_to_the_full_schema() -> None:
    """A record with an element of another namespace, or a depth that skips a level, is not decided (``False``)."""
    record = [("ODM", {}, 0), ("Study", {"OID": "S"}, 1)]
    assert identity.hold(record, "1.3.2")
    assert not identity.hold([*record, ("x:Extension", {}, 2)], "1.3.2")
    assert not identity.hold([*record, ("MetaDataVersion", {"OID": "M"}, 3)], "1.3.2")
    assert not identity.hold([*record, ("Study", {"OID": " S "}, 1)], "1.3.2")  # whitespace collapsed: same key
    assert identity.hold([*record, ("Study", {"OID": "1E1000000"}, 1)], "1.3.2")  # text, not a number to expand


@pytest.mark.parametrize("version", VERSIONS)
def test_random_repeated_keys_are_never_passed(documents, version: str) -> None:
    """Seeded fuzz: an element selected by a constraint takes the key of another element of the same scope,
    written as the schema type allows (padded, signed, with leading zeros for numbers); whenever the full schema
    reports a repeated key, the record check says no."""
    import random

    ns = {"o": NAMESPACES[version]}
    source = etree.fromstring(documents[version])
    rules = [u for u in identity.constraints(version) or () if u.path != ("*",)]
    rng = random.Random(17)
    rejected = 0
    for _ in range(120):
        u = rng.choice(rules)
        steps = "/".join(f"o:{s}" for s in u.path)
        root = copy.deepcopy(source)
        scopes = [s for s in root.xpath(f"//o:{u.scope}", namespaces=ns) if len(s.xpath(steps, namespaces=ns)) > 1]
        if not scopes:
            continue
        first, second = rng.sample(scopes[rng.randrange(len(scopes))].xpath(steps, namespaces=ns), 2)
        for field in u.fields:
            name = field.replace("xml:", "{http://www.w3.org/XML/1998/namespace}")
            value = first.get(name)
            if value is None:
                second.attrib.pop(name, None)
                continue
            if value.isdigit():
                value = rng.choice([value, "0" + value, "+" + value, f" {value} "])
            second.set(name, value)
        tree = parse_xml(etree.tostring(root), source="fuzz.xml")
        full = odm_schema(version)
        if not full.validate(tree) and any("Duplicate key-sequence" in e.message for e in full.error_log):
            rejected += 1
            assert not identity.hold(record_of(tree.getroot()), version), (u, first.attrib)
    assert rejected >= 30  # the fuzz really produced repeated keys (45 and 49 with this seed and corpus)
