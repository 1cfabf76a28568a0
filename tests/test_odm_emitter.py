"""The ODM text emitter (odmmap.xmltree) writes exactly the bytes lxml's pretty-printing serializer writes for the
same tree: every corpus record, every fixture input and the seed page, both ODM versions, plus hostile strings."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, SEED_PAGE
from lxml import etree

from trialexport.odmmap.context import Ctx
from trialexport.odmmap.xmltree import XML_LANG, Node, Tree, serialize
from trialexport.readers import read_path
from trialexport.writers.odm import VERSIONS, build_tree

INPUTS = [*CORPUS, *sorted((ROOT / "fixtures" / "inputs").glob("*")), SEED_PAGE]
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"


def _to_lxml(node: Node, ns: str = "", parent: etree._Element | None = None) -> etree._Element:
    """The same tree built with lxml (the reference serializer)."""
    attrs = {k: v for k, v in (node.attrs or {}).items() if v is not None}
    ns = attrs.pop("xmlns", ns)
    attrs = {(_XML_NS + k[4:] if k.startswith("xml:") else k): v for k, v in attrs.items()}
    tag = f"{{{ns}}}{node.tag}"
    el = etree.Element(tag, attrs, nsmap={None: ns}) if parent is None else etree.SubElement(parent, tag, attrs)
    el.text = node.text
    for child in node.children:
        _to_lxml(child, ns, el)
    return el


def _lxml_bytes(root: Node) -> bytes:
    return etree.tostring(_to_lxml(root), xml_declaration=True, encoding="UTF-8", pretty_print=True)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: Path(p).name)
def test_emitter_matches_lxml_on_records(path: Path) -> None:
    results = [r for r in read_path(path) if r.trial is not None]
    assert results
    for res in results:
        for version in VERSIONS:
            root = build_tree(Ctx(res.trial), version, 0)
            assert serialize(root) == _lxml_bytes(root), (path, version)


HOSTILE = [
    "",
    " ",
    "plain",
    "\t\n\r a&b <c> \"q\" 'a' ]]> &amp; &#13;",
    "".join(chr(i) for i in (9, 10, 13, *range(32, 128))) + "é€😀\u2028\ufeff\x85\x7f\ufffd",
    "line1\r\nline2\n\n",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_emitter_matches_lxml_on_hostile_strings(value: str) -> None:
    t = Tree("http://www.cdisc.org/ns/odm/v2.0")
    root = t.root("ODM", {"A": value, "Skip": None})
    t.el(root, "Empty")
    t.el(root, "Text", {XML_LANG: "en", "V": value}, value)
    nested = t.el(t.el(root, "Outer"), "Inner", {"X": value})
    t.el(nested, "Leaf", None, value)
    assert serialize(root) == _lxml_bytes(root)


@pytest.mark.parametrize("bad", ["\x00", "a\x0bb", "\x1f", "\ufffe", "\uffff"])
def test_emitter_rejects_forbidden_characters_like_lxml(bad: str) -> None:
    t = Tree("urn:x")
    in_text = t.root("R", {})
    t.el(in_text, "T", None, bad)
    for root in (t.root("R", {"A": bad}), in_text):
        with pytest.raises(ValueError):
            serialize(root)
        with pytest.raises(ValueError):
            _lxml_bytes(root)
