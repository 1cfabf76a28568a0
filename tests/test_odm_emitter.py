"""The ODM text emitter (odmmap.xmltree) writes exactly the bytes lxml's pretty-printing serializer writes for the
same construction calls: every corpus record, every fixture input and the seed page, both ODM versions, plus
hostile strings. The serializers' ``T`` is swapped for :class:`LxmlTree`, which makes the same calls build an lxml
tree (the reference serializer)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, SEED_PAGE
from lxml import etree

from trialexport.formats.odm import VERSIONS
from trialexport.formats.odm.document import build_tree
from trialexport.formats.odm.mapping import v20, v132
from trialexport.formats.odm.mapping.context import Ctx
from trialexport.formats.odm.xmltree import XML_LANG, Tree, serialize
from trialexport.readers import read_path

INPUTS = [*CORPUS, *sorted((ROOT / "fixtures" / "inputs").glob("*")), SEED_PAGE]
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"


class LxmlTree:
    """:class:`Tree`'s interface, building lxml elements instead of writing text."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def _attrs(self, attrs: dict[str, str | None] | None) -> dict[str, str]:
        kept = {k: v for k, v in (attrs or {}).items() if v is not None}
        return {(_XML_NS + k[4:] if k.startswith("xml:") else k): v for k, v in kept.items()}

    def root(self, tag: str, attrs: dict[str, str | None]) -> etree._Element:
        return etree.Element(f"{{{self.ns}}}{tag}", self._attrs(attrs), nsmap={None: self.ns})

    def el(self, parent: etree._Element, tag: str, attrs: dict[str, str | None] | None = None,
           text: str | None = None) -> etree._Element:
        el = etree.SubElement(parent, f"{{{self.ns}}}{tag}", self._attrs(attrs))
        el.text = text
        return el

    def empties(self, parent: etree._Element, tag: str, rows: Iterable[dict[str, str | None]]) -> None:
        for attrs in rows:
            self.el(parent, tag, attrs)

    def fragment(self, parent: etree._Element, key: Hashable, write: Callable[[etree._Element], None]) -> None:
        write(parent)


def _lxml_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: Path(p).name)
def test_emitter_matches_lxml_on_records(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = [r for r in read_path(path) if r.trial is not None]
    assert results
    for res in results:
        for version in VERSIONS:
            for _ in range(2):  # the second document reuses the fragments the first one wrote
                written = serialize(build_tree(Ctx(trial=res.trial, source_date_epoch=0), version))
            with monkeypatch.context() as m:
                m.setattr(v132, "T", LxmlTree(v132.NS))
                m.setattr(v20, "T", LxmlTree(v20.NS))
                reference = _lxml_bytes(build_tree(Ctx(trial=res.trial, source_date_epoch=0), version))
            assert written == reference, (path, version)


HOSTILE = [
    "",
    " ",
    "plain",
    "\t\n\r a&b <c> \"q\" 'a' ]]> &amp; &#13;",
    "".join(chr(i) for i in (9, 10, 13, *range(32, 128))) + "é€😀\u2028\ufeff\x85\x7f\ufffd",
    "line1\r\nline2\n\n",
]


def _hostile_doc(t: Tree | LxmlTree, value: str) -> bytes:
    root = t.root("ODM", {"A": value, "Skip": None})
    t.el(root, "Empty")
    t.el(root, "Text", {XML_LANG: "en", "V": value}, value)
    nested = t.el(t.el(root, "Outer"), "Inner", {"X": value})
    t.el(nested, "Leaf", None, value)
    t.empties(t.el(root, "Bare"), "None", [])  # no rows: <Bare/> stays childless
    t.empties(root, "Many", [{"V": value}, {"W": None}, {}])
    t.fragment(root, ("hostile", value), lambda parent: t.el(t.el(parent, "Kept"), "K", {"V": value}, value))
    return serialize(root) if isinstance(t, Tree) else _lxml_bytes(root)


@pytest.mark.parametrize("value", HOSTILE)
def test_emitter_matches_lxml_on_hostile_strings(value: str) -> None:
    ns = "http://www.cdisc.org/ns/odm/v2.0"
    tree = Tree(ns)
    assert _hostile_doc(tree, value) == _hostile_doc(LxmlTree(ns), value)
    assert _hostile_doc(tree, value) == _hostile_doc(LxmlTree(ns), value)  # fragment reused


@pytest.mark.parametrize("bad", ["\x00", "a\x0bb", "\x1f", "\ufffe", "\uffff"])
def test_emitter_rejects_forbidden_characters_like_lxml(bad: str) -> None:
    for t in (Tree("urn:x"), LxmlTree("urn:x")):
        with pytest.raises(ValueError):
            t.root("R", {"A": bad})
        with pytest.raises(ValueError):
            t.el(t.root("R", {}), "T", None, bad)


def test_elements_are_added_in_document_order() -> None:
    t = Tree("urn:x")
    root = t.root("R", {})
    first = t.el(root, "A")
    text = t.el(first, "T", None, "x")
    t.el(root, "B")  # closes <A>
    with pytest.raises(ValueError, match="closed"):
        t.el(first, "Late")
    with pytest.raises(ValueError, match="mixed content"):
        t.el(text, "Child")
    expected = b'<R xmlns="urn:x">\n  <A>\n    <T>x</T>\n  </A>\n  <B/>\n</R>\n'
    assert serialize(root) == b"<?xml version='1.0' encoding='UTF-8'?>\n" + expected
