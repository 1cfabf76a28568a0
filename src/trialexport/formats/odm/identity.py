"""The ODM XSDs' identity constraints (``xs:unique``), decided on the emitter's record of a document.

libxml2 spends about three quarters of its ODM validation time on identity constraints (measured on the registry
mix: 1.80 of 1.82 ms per 1.3.2 document with them, 0.48 without; issue 17). The converter therefore validates its
own output against the schema without them (:func:`~.xsd.structural_schema`) and decides the constraints here, on
the record the emitter kept of what it wrote (:func:`~.xmltree.written`: ``(tag, attributes, depth)`` of every
element in document order). When either says no, the full official schema is run and its findings are the ones
reported, so a document is never judged differently, only faster.

Nothing about the constraints is written here: :func:`constraints` reads each one from the vendored XSDs (the
element that scopes it, its selector's child steps, its fields). Not decided here at all (``None``: every document
of the version goes to the full schema): a form this reading does not cover (``xs:key``/``xs:keyref``, XPath unions,
descendant or self steps, element or wildcard fields, foreign names), a constraint in a schema document of another
namespace, or a field whose declared type is not built on ``xs:string`` or ``xs:integer`` and their derived types
(those whose values libxml2 compares as text after whitespace processing, or as whole numbers).

Values are compared as those types compare them or more loosely, never more strictly: whitespace is collapsed (an
``xs:string`` keeps it: merging more only costs time), whole numbers are compared by value, exactly (``+01`` and
``1`` alike, no rounding at any size), and language tags without case; a value pair merged here but not by its type
only sends the document to the full schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from lxml import etree

from .xsd import IDENTITY, NAMESPACES, XS, schema_documents

Record = Sequence[tuple[str, Mapping[str, "str | None"], int]]  # (tag, attributes, depth) per element, in order
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_NUMERIC_START = frozenset("+-0123456789")
_INTEGER = re.compile(r"[+-]?[0-9]+").fullmatch
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*").fullmatch
#: The built-in types a constrained attribute may be built on: libxml2 compares their values as text after
#: whitespace processing, or as whole numbers; both are what :func:`_value` reproduces or loosens.
COMPARABLE = frozenset({
    "string", "normalizedString", "token", "language", "Name", "NCName", "NMTOKEN", "ID", "IDREF",
    "integer", "positiveInteger", "nonNegativeInteger", "negativeInteger", "nonPositiveInteger",
    "long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte",
})


@dataclass(frozen=True)
class Unique:
    """One ``xs:unique``: within each ``scope`` element, the elements its ``path`` selects (child steps; ``*``: any
    element) that carry every attribute of ``fields`` have distinct values of them."""

    name: str
    scope: str
    path: tuple[str, ...]
    fields: tuple[str, ...]


def _names(xpath: str, nsmap: Mapping[str | None, str], ns: str, *, attribute: bool) -> tuple[str, ...] | None:
    """The local names of ``xpath``'s child steps (``@name`` for one attribute); ``None``: a form not read here."""
    steps = xpath.strip().split("/")
    if attribute:
        if len(steps) != 1 or not steps[0].startswith("@"):
            return None
        prefix, _, local = steps[0][1:].rpartition(":")
        if not _NAME(local):
            return None  # a wildcard or anything else that is not one attribute's name
        if not prefix:
            return (local,)
        return (f"xml:{local}",) if nsmap.get(prefix) == _XML_NS or prefix == "xml" else None
    names = []
    for step in steps:
        if step == "*":
            names.append(step)
            continue
        prefix, _, local = step.rpartition(":")
        if not prefix or nsmap.get(prefix) != ns or not local.isidentifier():
            return None  # no prefix: no namespace in XPath 1.0; descendant/self/union steps are not read here
        names.append(local)
    return tuple(names)


@cache
def constraints(version: str) -> tuple[Unique, ...] | None:
    """Every identity constraint the ``version`` XSDs declare, read as :class:`Unique`; ``None`` if one of them is
    of a form not read here (then no document of ``version`` is decided by :func:`hold`)."""
    ns = NAMESPACES[version]
    found = []
    for root in schema_documents(version, every=True):
        if root.get("targetNamespace") != ns:
            if next(root.iter(*IDENTITY), None) is not None:
                return None  # stripped from the structural schema like the others, but not read here
            continue
        for node in root.iter(*IDENTITY):
            owner = node.getparent()
            selector = node.find(f"{XS}selector")
            if node.tag != f"{XS}unique" or owner is None or owner.tag != f"{XS}element" or selector is None:
                return None
            path = _names(selector.get("xpath", ""), node.nsmap, ns, attribute=False)
            fields = [_names(f.get("xpath", ""), node.nsmap, ns, attribute=True) for f in node.iter(f"{XS}field")]
            if path is None or not fields or any(f is None for f in fields) or not owner.get("name"):
                return None
            found.append(Unique(node.get("name", ""), owner.get("name", ""), path, tuple(f[0] for f in fields if f)))
    types = _attribute_types(version)
    if any(types.get(f, {None}) - COMPARABLE for u in found for f in u.fields):
        return None
    return tuple(found)


def _attribute_types(version: str) -> dict[str, set[str | None]]:
    """Attribute name (``xml:lang`` for the XML namespace's) -> the built-in types its declarations in the
    ``version`` XSDs are built on, a union's members each (``None``: a list, or a type not found)."""
    simple: dict[str, list[tuple[str | None, etree._Element]]] = {}  # ODM simple type -> what it is built on
    declared: dict[str, list[tuple[str | None, etree._Element]]] = {}
    for root in schema_documents(version, every=True):
        namespace = root.get("targetNamespace")
        for st in root.iter(f"{XS}simpleType"):
            if st.get("name") and namespace == NAMESPACES[version]:
                simple[st.get("name", "")] = _built_on(st)
        for a in root.iter(f"{XS}attribute"):
            name = a.get("name")
            if name and namespace in (NAMESPACES[version], _XML_NS):
                inline = a.find(f"{XS}simpleType")
                found = [(a.get("type"), a)] if inline is None else _built_on(inline)
                declared.setdefault(name if namespace != _XML_NS else f"xml:{name}", []).extend(found)

    def builtins(qname: str | None, where: etree._Element, depth: int = 0) -> set[str | None]:
        if qname is None or depth > 50:
            return {None}
        prefix, _, local = qname.rpartition(":")
        if where.nsmap.get(prefix or None) == XS[1:-1]:
            return {local}
        if local not in simple:
            return {None}
        return set().union(*(builtins(q, w, depth + 1) for q, w in simple[local]))

    return {name: set().union(*(builtins(q, w) for q, w in found)) for name, found in declared.items()}


def _built_on(simple_type: etree._Element) -> list[tuple[str | None, etree._Element]]:
    """What an ``xs:simpleType`` is built on: its restriction's base, or its union's member types (named or
    inline); ``[(None, ...)]`` for a list or anything else."""
    base = simple_type.find(f"{XS}restriction")
    if base is not None:
        inline = base.find(f"{XS}simpleType")
        return [(base.get("base"), base)] if inline is None else _built_on(inline)
    union = simple_type.find(f"{XS}union")
    if union is None:
        return [(None, simple_type)]
    members = [(q, union) for q in (union.get("memberTypes") or "").split()]
    for inline in union.findall(f"{XS}simpleType"):
        members += _built_on(inline)
    return members or [(None, union)]


def _value(text: str) -> str:
    """``text`` as compared here: whitespace collapsed; a whole number by its exact value (``+01``, ``01`` and ``1``
    alike; language tags are also case-folded, by the caller)."""
    if text.isascii() and text.isdigit():  # the common numbers (order numbers, key sequences), quickly
        return "#" + (text.lstrip("0") or "0")
    if " " not in text and text.isprintable() and text[:1] not in _NUMERIC_START:
        return text  # no whitespace (the only unprintable characters XML allows are whitespace), not a number
    text = " ".join(text.split())
    if _INTEGER(text) is None:
        return text
    digits = text.lstrip("+-").lstrip("0")
    return "#" + ("-" + digits if digits and text[0] == "-" else digits or "0")


Simple = tuple[int, str, tuple[str, ...]]  # a one-step rule: (number, first field, other fields)
General = tuple[int, int, str, tuple[tuple[int, str], ...], tuple[str, ...]]  # number, steps, scope, middle, fields


@cache
def _plan(version: str) -> tuple[dict[str, dict[str, tuple[Simple, ...]]], dict[str, tuple[Simple, ...]],
                                 dict[str, tuple[General, ...]]]:
    """The constraints as rules, by what an element must be to be selected: (its tag -> its parent's tag -> one-step
    rules; its parent's tag -> one-step ``*`` rules; its tag, or ``*`` -> every other rule, as
    (number, selector steps, scope, the named middle steps as (offset below the scope, name), fields))."""
    simple: dict[str, dict[str, list[Simple]]] = {}
    star: dict[str, list[Simple]] = {}
    general: dict[str, list[General]] = {}
    for n, u in enumerate(constraints(version) or ()):
        if len(u.path) == 1:
            rule = (n, u.fields[0], u.fields[1:])
            if u.path[0] == "*":
                star.setdefault(u.scope, []).append(rule)
            else:
                simple.setdefault(u.path[0], {}).setdefault(u.scope, []).append(rule)
            continue
        middle = tuple((k, step) for k, step in enumerate(u.path[:-1], 1) if step != "*")
        general.setdefault(u.path[-1], []).append((n, len(u.path), u.scope, middle, u.fields))
    return ({k: {p: tuple(r) for p, r in v.items()} for k, v in simple.items()}, {k: tuple(v) for k, v in star.items()},
            {k: tuple(v) for k, v in general.items()})


def hold(record: Record, version: str) -> bool:
    """Whether no identity constraint of ``version`` is violated in the document ``record`` describes (``False``
    also for what is not decided here: constraints of another form, a prefixed element, a depth that skips a level).

    One pass in document order; a selected element's key is ``(position of its scope element in the record, rule,
    values)``, so each scope element instance has its own set, as each instance of the declaring element has its own
    constraint in the XSD."""
    if constraints(version) is None:
        return False
    simple, star, general = _plan(version)
    anywhere = general.get("*", ())
    tags: list[str] = [""] * 64  # the open elements' tags by depth, and their positions in the record
    where: list[int] = [0] * 64
    seen: set[tuple[object, ...]] = set()  # (scope position, rule number, values...) of every selected element
    deepest = -1
    for i, (tag, attrs, depth) in enumerate(record):
        if depth > deepest + 1 or ":" in tag:
            return False
        if depth >= len(tags):
            tags += [""] * depth
            where += [0] * depth
        deepest = depth
        tags[depth] = tag
        where[depth] = i
        if not depth:
            continue
        parent = tags[depth - 1]
        by_parent = simple.get(tag)
        rules = None if by_parent is None else by_parent.get(parent)
        if parent in star:
            rules = (*(rules or ()), *star[parent])
        if rules is not None:
            for n, field, others in rules:
                if (value := attrs.get(field)) is None:
                    continue  # not in the constraint's qualified node set
                value = _value(value)
                key: tuple[object, ...] = (where[depth - 1], n, value.casefold() if field == "xml:lang" else value)
                if others:
                    more_values = _values(attrs, others)
                    if more_values is None:
                        continue
                    key += more_values
                if key in seen:
                    return False
                seen.add(key)
        more = general.get(tag)
        if anywhere:
            more = (*(more or ()), *anywhere)
        if more is not None and not _general_hold(more, tags, where, depth, attrs, seen):
            return False
    return True


def _values(attrs: Mapping[str, str | None], fields: tuple[str, ...]) -> tuple[str, ...] | None:
    """The compared values of ``fields`` (``None`` if one is missing: not in the qualified node set)."""
    values = []
    for field in fields:
        value = attrs.get(field)
        if value is None:
            return None
        value = _value(value)
        values.append(value.casefold() if field == "xml:lang" else value)
    return tuple(values)


def _general_hold(rules: tuple[General, ...], tags: list[str], where: list[int], depth: int,
                  attrs: Mapping[str, str | None], seen: set[tuple[object, ...]]) -> bool:
    """:func:`hold` for the element at ``depth`` and the rules that are not one-step one-field."""
    for n, steps, scope, middle, fields in rules:
        top = depth - steps
        if top < 0 or tags[top] != scope or any(tags[top + k] != name for k, name in middle):
            continue
        values = _values(attrs, fields)
        if values is None:
            continue
        key = (where[top], n, *values)
        if key in seen:
            return False
        seen.add(key)
    return True
