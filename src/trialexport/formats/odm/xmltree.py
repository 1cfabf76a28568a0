"""Streaming XML text emitter shared by the ODM 1.3.2 and 2.0 serializers.

The serializers add elements in document order (``Tree.el(parent, ...)``) and each element is written as text at
once: no element objects are kept, only string pieces and each element's ``(tag, attributes, depth)`` as written
(:func:`written`: the converter checks its output's OID references and identity constraints on them, not on a
re-parsed tree). Adding a child to ``parent`` closes every element opened after ``parent``; adding to an element
that is already closed raises ``ValueError``, so a document either comes out exactly as the equivalent element tree
would serialize or not at all.

:func:`serialize` returns text byte-identical to ``lxml.etree.tostring(root, xml_declaration=True,
encoding="UTF-8", pretty_print=True)`` of that tree: two-space indentation, ``<a/>`` for elements without text or
children, ``<a></a>`` for empty text, libxml2's escaping (text: ``& < >`` and CR; attributes: also ``"``, TAB, LF),
and ``ValueError`` for characters XML 1.0 forbids, as lxml raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable

XML_LANG = "xml:lang"
LANG = "en"

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]").search
_ATTR_SPECIAL = re.compile('[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]').search
_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))
_ATTR_ESCAPES = (*_TEXT_ESCAPES, ('"', "&quot;"), ("\t", "&#9;"), ("\n", "&#10;"))

_BARE, _PARENT, _CLOSED, _TEXT = range(4)  # Node.state: start tag unterminated / has children / closed / text


def _escape(value: str, escapes: tuple[tuple[str, str], ...]) -> str:
    if _FORBIDDEN.search(value):
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters")
    for char, entity in escapes:
        value = value.replace(char, entity)
    return value


def _start_tag(indent: str, tag: str, attrs: dict[str, str | None]) -> str:
    """``<tag name="value" ...`` (unterminated) for the attributes that are not ``None``, escaped."""
    head = indent + "<" + tag
    for k, v in attrs.items():
        if v is not None:
            head += f' {k}="{v}"' if _ATTR_SPECIAL(v) is None else f' {k}="{_escape(v, _ATTR_ESCAPES)}"'
    return head


Written = list[tuple[str, dict[str, "str | None"], int]]  # (tag, attributes, depth) of every element, in order
_NO_ATTRS: dict[str, str | None] = {}  # the attributes recorded for an element without any (never mutated)


class _Document:
    """Text pieces written so far, the stack of open elements, the elements' attributes as written (for checks
    that need only those, e.g. OID references) and, once serialized, the document's bytes."""

    __slots__ = ("data", "open", "out", "written")

    def __init__(self, out: list[str]) -> None:
        self.out = out
        self.open: list[Node] = []
        self.written: Written = []
        self.data: bytes | None = None

    def close_to(self, parent: Node | None) -> None:
        """Close the open elements above ``parent`` (all of them for ``None``)."""
        stack, out = self.open, self.out
        while stack and stack[-1] is not parent:
            node = stack.pop()
            out.append("/>\n" if node.state == _BARE else f"{node.indent}</{node.tag}>\n")
            node.state = _CLOSED


class Node:
    """Handle on one written element: children can be added until an element outside it is added."""

    __slots__ = ("doc", "indent", "state", "tag")

    def __init__(self, doc: _Document, tag: str, indent: str, state: int) -> None:
        self.doc = doc
        self.tag = tag
        self.indent = indent
        self.state = state


class Tree:
    """Element writer bound to one default namespace (declared on the root); holds no per-document state."""

    def __init__(self, ns: str) -> None:
        self.ns = ns
        self._fragments: dict[tuple[Hashable, str], tuple[str, Written]] = {}

    def root(self, tag: str, attrs: dict[str, str | None]) -> Node:
        """Start a new document with its root element."""
        start = _start_tag("", tag, {"xmlns": self.ns, **attrs})
        doc = _Document(["<?xml version='1.0' encoding='UTF-8'?>\n", start])
        doc.written.append((tag, attrs, 0))
        root = Node(doc, tag, "", _BARE)
        doc.open.append(root)
        return root

    def el(self, parent: Node, tag: str, attrs: dict[str, str | None] | None = None, text: str | None = None) -> Node:
        """Write a child element of ``parent`` (closing the elements opened after it)."""
        doc = parent.doc
        out, stack = doc.out, doc.open
        top = stack[-1]
        if top is parent:  # the first child, or one after a text child: inlined
            if parent.state == _BARE:
                out.append(">\n")
                parent.state = _PARENT
        elif top.state == _BARE and stack[-2] is parent:  # after a sibling without children: inlined
            stack.pop()
            out.append("/>\n")
            top.state = _CLOSED
        else:
            _prepare(parent, tag)
        indent = parent.indent + "  "
        if attrs:
            head = _start_tag(indent, tag, attrs)
            doc.written.append((tag, attrs, len(indent) >> 1))
        else:
            head = indent + "<" + tag
            doc.written.append((tag, _NO_ATTRS, len(indent) >> 1))
        if text is None:
            out.append(head)
            node = Node(doc, tag, indent, _BARE)
            stack.append(node)
            return node
        if _TEXT_SPECIAL(text) is not None:
            text = _escape(text, _TEXT_ESCAPES)
        out.append(f"{head}>{text}</{tag}>\n")
        return Node(doc, tag, indent, _TEXT)

    def empties(self, parent: Node, tag: str, rows: Iterable[dict[str, str | None]]) -> None:
        """Childless ``tag`` children of ``parent``, one per attribute dict: what :meth:`el` writes for each, without
        a handle on them (the cheap way to write hundreds of ItemData or Alias elements)."""
        found = list(rows)
        if not found:
            return
        _prepare(parent, tag)
        doc = parent.doc
        indent = parent.indent + "  "
        out, written = doc.out, doc.written
        depth = len(indent) >> 1
        for attrs in found:
            out.append(_start_tag(indent, tag, attrs) + "/>\n")
            written.append((tag, attrs, depth))

    def fragment(self, parent: Node, key: Hashable, write: Callable[[Node], None]) -> None:
        """The children ``write(parent)`` adds, written once per process as text remembered under ``key``.

        Only for content that ``key`` fully determines (e.g. built from the mapping tables alone); the text is
        reused verbatim for every parent at the same depth.
        """
        cache_key = (key, parent.indent)
        found = self._fragments.get(cache_key)
        if found is None:
            scratch = _Document([])
            holder = Node(scratch, parent.tag, parent.indent, _PARENT)
            scratch.open.append(holder)
            write(holder)
            scratch.close_to(holder)
            found = self._fragments[cache_key] = ("".join(scratch.out), scratch.written)
        text, written = found
        if text:
            _prepare(parent, "fragment")
            parent.doc.out.append(text)
            parent.doc.written.extend(written)


def _prepare(parent: Node, tag: str) -> None:
    """Make ``parent`` the innermost open element with its start tag terminated, ready for a child ``tag``."""
    if parent.state > _PARENT:
        what = "has text (mixed content is not emitted)" if parent.state == _TEXT else "is closed (document order)"
        raise ValueError(f"cannot add <{tag}>: <{parent.tag}> {what}")
    doc = parent.doc
    doc.close_to(parent)
    if parent.state == _BARE:
        doc.out.append(">\n")
        parent.state = _PARENT


def serialize(root: Node) -> bytes:
    """Close every open element; the document as deterministic bytes (UTF-8, pretty-printed, trailing newline)."""
    doc = root.doc
    doc.close_to(None)
    doc.data = "".join(doc.out).encode("utf-8")
    return doc.data


def written(root: Node, data: bytes) -> Written | None:
    """The ``(tag, attributes, depth)`` of every element of the document (``None`` values: not written; the root's
    depth is 0), in document order, if ``data`` is the very bytes :func:`serialize` returned for it; else ``None``."""
    doc = root.doc
    return doc.written if doc.data is data else None
