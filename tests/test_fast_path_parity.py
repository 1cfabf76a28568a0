"""Fast path = full path on broken copies of large multi-site ODM documents (issue 17 item 5).

The converter validates the ODM it has just serialized with ``validate_odm(..., emitted=True)`` (no expat DOCTYPE
pre-scan, OID definitions gathered with ``//*[@OID]``); ``trialexport validate`` checks a user's file with the full
path (:func:`validate_odm_parsed` after :func:`parse_xml` with the pre-scan). Each broken copy below must give the
same error findings on both paths, and the findings must name the break.
"""

from __future__ import annotations

import re

import pytest
from lxml import etree

from trialexport import to_odm
from trialexport.formats.base import Options
from trialexport.formats.odm import FAMILY as odm_family
from trialexport.formats.odm.mapping import v20, v132
from trialexport.formats.odm.validation import validate_odm, validate_odm_parsed
from trialexport.formats.odm.xmltree import Node, Tree, written
from trialexport.xmlsafe import parse_xml

SITES = 1200  # large enough for hundreds of Location-derived OIDs, small enough to stay a few seconds


@pytest.fixture(scope="module")
def large_trial(corpus_trials):
    """The corpus record with the most sites, its site list replicated to :data:`SITES` entries."""
    res = max(corpus_trials.values(), key=lambda r: len(r.trial.locations) if r.trial else -1)
    sites = res.trial.locations
    assert len(sites) > 1
    return res.trial.model_copy(update={"locations": [sites[i % len(sites)] for i in range(SITES)]})


def _findings(diags: list) -> list[tuple]:
    return [(d.code, d.message, d.path, d.line, d.col) for d in diags if d.is_error]


def _both(data: bytes, version: str) -> tuple[list[tuple], list[tuple]]:
    fast = _findings(validate_odm(data, version, emitted=True))
    full = _findings(validate_odm_parsed(parse_xml(data, source="broken.xml"), None, source="broken.xml"))
    return fast, full


def _first_value(data: bytes, attr: str) -> str:
    found = re.search(rb' ' + attr.encode() + rb'="([^"]+)"', data)
    assert found, attr
    return found.group(1).decode()


def _dangling(data: bytes) -> bytes:  # one ItemRef points at an ItemDef that is not there
    oid = _first_value(data, "ItemOID")
    return data.replace(f' ItemOID="{oid}"'.encode(), b' ItemOID="IT.NOWHERE"', 1)


def _duplicated(data: bytes) -> bytes:  # an ItemDef takes the OID of an ItemGroupDef: refs to it dangle/mismatch
    item = _first_value(data, "ItemOID")
    group = _first_value(data, "ItemGroupOID")
    return data.replace(f'<ItemDef OID="{item}"'.encode(), f'<ItemDef OID="{group}"'.encode(), 1)


def _bad_code(data: bytes) -> bytes:  # a value outside the XSD's enumeration
    assert b'Mandatory="Yes"' in data
    return data.replace(b'Mandatory="Yes"', b'Mandatory="Perhaps"', 1)


BREAKS = {"dangling-oid": (_dangling, "ODM-OIDREF"), "duplicated-oid": (_duplicated, "ODM-OIDREF"),
          "bad-code": (_bad_code, "ODM-XSD")}


@pytest.fixture(scope="module")
def documents(large_trial) -> dict[str, bytes]:
    return {version: to_odm(large_trial, version) for version in ("1.3.2", "2.0")}


@pytest.mark.parametrize("version", ["1.3.2", "2.0"])
def test_large_document_is_valid_on_both_paths(documents, version: str) -> None:
    data = documents[version]
    assert data.count(b"<Location") >= SITES or data.count(b"OID=") > SITES  # really multi-site
    assert _both(data, version) == ([], [])


@pytest.mark.parametrize("version", ["1.3.2", "2.0"])
@pytest.mark.parametrize("brk", sorted(BREAKS))
def test_broken_copy_same_findings(documents, version: str, brk: str) -> None:
    mutate, code = BREAKS[brk]
    broken = mutate(documents[version])
    assert broken != documents[version]
    fast, full = _both(broken, version)
    assert fast, f"{brk}: fast path found nothing"
    assert code in {f[0] for f in fast}
    assert fast == full


@pytest.mark.parametrize("version", ["1.3.2", "2.0"])
def test_one_pass_oid_query_matches_parent_of_attribute(documents, version: str) -> None:
    root = etree.fromstring(documents[version])
    old = etree.XPath("//@OID/..")(root)
    new = etree.XPath("//*[@OID]")(root)
    assert len(new) > SITES // 2
    assert [id(e) for e in old] == [id(e) for e in new]


# The converter resolves the OID references of its own output on the emitter's record of the attributes it wrote
# (formats/odm/xmltree.written) instead of walking the parsed document; the parsed document is walked only when a
# reference fails. Broken writers below must give the same findings as the full path on the bytes they wrote.
class _BreakingTree(Tree):
    """The serializers' emitter, writing one chosen attribute wrong (in a cached fragment too)."""

    def __init__(self, ns: str, brk: str) -> None:
        super().__init__(ns)
        self.brk = brk
        self.done = False
        self.group: str | None = None

    def _break(self, tag: str, attrs: dict[str, str | None]) -> dict[str, str | None]:
        if tag == "ItemGroupDef" and self.group is None:
            self.group = attrs["OID"]
        if self.done:
            return attrs
        if self.brk == "dangling" and tag == "ItemRef":
            attrs = {**attrs, "ItemOID": "IT.NOWHERE"}
        elif self.brk == "duplicated" and tag == "ItemDef" and self.group:
            attrs = {**attrs, "OID": self.group}
        elif self.brk == "in-fragment" and tag == "CodeListRef":
            attrs = {**attrs, "CodeListOID": "CL.NOWHERE"}
        else:
            return attrs
        self.done = True
        return attrs

    def el(self, parent: Node, tag: str, attrs: dict[str, str | None] | None = None, text: str | None = None) -> Node:
        return super().el(parent, tag, self._break(tag, attrs) if attrs else attrs, text)


@pytest.mark.parametrize("version", ["1.3.2", "2.0"])
@pytest.mark.parametrize("brk", ["dangling", "duplicated", "in-fragment", None])
def test_emitted_record_path_same_findings(large_trial, version: str, brk: str | None, monkeypatch) -> None:
    module = v132 if version == "1.3.2" else v20
    monkeypatch.setattr(module, "T", _BreakingTree(module.NS, brk or ""))
    built = odm_family.build(large_trial, version, Options())
    data = odm_family.serialize(built.doc, version, Options())
    assert written(built.doc.root, data) is not None and written(built.doc.root, bytes(bytearray(data))) is None
    fast = _findings(odm_family.validate(built.doc, data, version, Options()))
    full = _findings(validate_odm_parsed(parse_xml(data, source="broken.xml"), None, source="broken.xml"))
    assert fast == full
    if brk is None:
        assert fast == []
    else:
        assert module.T.done and "ODM-OIDREF" in {f[0] for f in fast}


@pytest.mark.parametrize("version", ["1.3.2", "2.0"])
def test_emitted_record_judged_in_one_pass_like_the_parsed_document(large_trial, version: str) -> None:
    """The one-pass reading of the emitter's record: a whole valid record resolves; a dangling reference at its very
    end, or an element of another namespace anywhere (not judged on the record: the parsed document is), does not."""
    from trialexport.formats.odm.validation import _references_resolve

    built = odm_family.build(large_trial, version, Options())
    record = written(built.doc.root, odm_family.serialize(built.doc, version, Options()))
    assert record is not None and len(record) > SITES
    assert _references_resolve(record, version)
    item_ref, depth = next((attrs, depth) for tag, attrs, depth in record if tag == "ItemRef")
    assert not _references_resolve([*record, ("ItemRef", {**item_ref, "ItemOID": "IT.NOWHERE"}, depth)], version)
    assert not _references_resolve([("x:Extension", {}, 0), *record], version)
    assert not _references_resolve([*record, ("x:Extension", {}, 1)], version)
