"""Small lxml helpers shared by the ODM 1.3.2 and 2.0 serializers."""

from __future__ import annotations

from lxml import etree

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANG = "en"


class Tree:
    """Element factory bound to one default namespace."""

    def __init__(self, ns: str) -> None:
        self.ns = ns
        self._q = "{" + ns + "}"

    def root(self, tag: str, attrs: dict[str, str | None]) -> etree._Element:
        el = etree.Element(self._q + tag, nsmap={None: self.ns})
        for k, v in attrs.items():
            if v is not None:
                el.set(k, v)
        return el

    def el(self, parent: etree._Element, tag: str, attrs: dict[str, str | None] | None = None,
           text: str | None = None) -> etree._Element:
        if attrs:
            el = etree.SubElement(parent, self._q + tag, {k: v for k, v in attrs.items() if v is not None})
        else:
            el = etree.SubElement(parent, self._q + tag)
        if text is not None:
            el.text = text
        return el


def serialize(root: etree._Element) -> bytes:
    """Deterministic bytes: XML declaration, UTF-8, pretty-printed, trailing newline."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
