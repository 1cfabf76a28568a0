"""Lightweight element tree and XML text emitter shared by the ODM 1.3.2 and 2.0 serializers.

The serializers build :class:`Node` trees (plain Python objects, far cheaper than lxml elements) and
:func:`serialize` writes them as text byte-identical to ``lxml.etree.tostring(root, xml_declaration=True,
encoding="UTF-8", pretty_print=True)``: two-space indentation, ``<a/>`` for elements without text or children,
``<a></a>`` for empty text, libxml2's escaping (text: ``& < >`` and CR; attributes: also ``"``, TAB, LF), and
``ValueError`` for characters XML 1.0 forbids, as lxml raises.
"""

from __future__ import annotations

import re

XML_LANG = "xml:lang"
LANG = "en"

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ATTR_SPECIAL = re.compile('[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')
_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))
_ATTR_ESCAPES = (*_TEXT_ESCAPES, ('"', "&quot;"), ("\t", "&#9;"), ("\n", "&#10;"))


class Node:
    """One element: tag (local name), attributes (``None`` values are left out), text, children."""

    __slots__ = ("attrs", "children", "tag", "text")

    def __init__(self, tag: str, attrs: dict[str, str | None] | None, text: str | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.text = text
        self.children: list[Node] = []


class Tree:
    """Element factory bound to one default namespace (declared on the root)."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def root(self, tag: str, attrs: dict[str, str | None]) -> Node:
        return Node(tag, {"xmlns": self.ns, **attrs}, None)

    def el(self, parent: Node, tag: str, attrs: dict[str, str | None] | None = None, text: str | None = None) -> Node:
        node = Node(tag, attrs, text)
        parent.children.append(node)
        return node


def _escape(value: str, special: re.Pattern[str], escapes: tuple[tuple[str, str], ...]) -> str:
    if special.search(value) is None:
        return value
    if _FORBIDDEN.search(value):
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters")
    for char, entity in escapes:
        value = value.replace(char, entity)
    return value


def _emit(node: Node, indent: str, out: list[str]) -> None:
    head = indent + "<" + node.tag
    if node.attrs:
        for key, value in node.attrs.items():
            if value is not None:
                head += f' {key}="{_escape(value, _ATTR_SPECIAL, _ATTR_ESCAPES)}"'
    if node.children:
        if node.text is not None:
            raise ValueError(f"<{node.tag}> has both text and child elements (mixed content is not emitted)")
        out.append(head + ">\n")
        inner = indent + "  "
        for child in node.children:
            _emit(child, inner, out)
        out.append(f"{indent}</{node.tag}>\n")
    elif node.text is None:
        out.append(head + "/>\n")
    else:
        out.append(f"{head}>{_escape(node.text, _TEXT_SPECIAL, _TEXT_ESCAPES)}</{node.tag}>\n")


def serialize(root: Node) -> bytes:
    """Deterministic bytes: XML declaration, UTF-8, pretty-printed, trailing newline."""
    out = ["<?xml version='1.0' encoding='UTF-8'?>\n"]
    _emit(root, "", out)
    return "".join(out).encode("utf-8")
