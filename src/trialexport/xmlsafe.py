"""Hardened XML parsing: no DTDs, no entity expansion, no network.

:func:`parse_xml` first scans the prolog with expat (stopping at the root element) to reject any ``DOCTYPE`` that
has an internal subset (entity, element, attribute or notation declarations) or names an external DTD, then parses
with an lxml parser that neither loads DTDs nor resolves entities nor touches the network. A bare ``<!DOCTYPE x>``
(no subset, no external id) is allowed. Every refusal is a :class:`~trialexport.diagnostics.TrialExportError` with
code ``XML-UNSAFE``; malformed input raises code ``XML-PARSE`` with line and column.
"""

from __future__ import annotations

from xml.parsers import expat

from lxml import etree

from trialexport.diagnostics import TrialExportError, error

__all__ = ["parse_xml", "root_name", "safe_parser"]


def safe_parser() -> etree.XMLParser:
    """A new lxml parser that loads no DTD, expands no entity and never uses the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


class _RootReached(Exception):
    """Raised by the expat prolog scan once the root element starts."""


def _unsafe(message: str, source: str, line: int | None = None, col: int | None = None) -> TrialExportError:
    return TrialExportError(error("XML-UNSAFE", message, file=source, line=line, col=col))


def _scan_prolog(data: bytes, source: str) -> bool:
    """Reject an unsafe DOCTYPE seen before the root element; return False if expat could not read the prolog."""
    p = expat.ParserCreate()
    problems: list[tuple[str, int, int]] = []

    def where() -> tuple[int, int]:
        return p.CurrentLineNumber, p.CurrentColumnNumber + 1

    def doctype(name: str, system_id: str | None, public_id: str | None, has_internal_subset: int) -> None:
        if system_id or public_id:
            ext = system_id or public_id
            problems.append((f"DOCTYPE {name} refers to an external DTD ({ext!r})", *where()))
        if has_internal_subset:
            problems.append((f"DOCTYPE {name} has an internal subset (entity/markup declarations)", *where()))
        if problems:
            raise _RootReached

    def entity(name: str, is_pe: int, value: str | None, base: str | None, system_id: str | None, *_: object) -> None:
        kind = "external" if system_id else "internal"
        problems.append((f"entity declaration {name!r} ({kind})", *where()))
        raise _RootReached

    def start(*_: object) -> None:
        raise _RootReached

    p.StartDoctypeDeclHandler = doctype
    p.EntityDeclHandler = entity
    p.StartElementHandler = start
    try:
        p.Parse(data, True)
    except _RootReached:
        pass
    except (expat.ExpatError, ValueError):  # ValueError: a multi-byte encoding pyexpat lacks (e.g. Shift_JIS)
        return False  # lxml then reports a syntax error, or parse_xml's docinfo check applies
    if problems:
        msg, line, col = problems[0]
        raise _unsafe(f"unsafe XML rejected: {msg}; DTDs and entity declarations are not allowed", source, line, col)
    return True


def parse_xml(data: bytes, *, source: str = "<bytes>", emitted: bool = False) -> etree._ElementTree:
    """Parse ``data`` safely; raise ``TrialExportError`` (``XML-UNSAFE`` / ``XML-PARSE``) instead of trusting it.

    ``emitted=True``: ``data`` is a document this tool just serialized (no DOCTYPE is ever written), so the expat
    prolog pre-scan is skipped; the hardened parser and lxml's DOCTYPE check below still apply."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"parse_xml expects bytes, got {type(data).__name__}")
    data = bytes(data)
    prolog_read = True if emitted else _scan_prolog(data, source)
    try:
        root = etree.fromstring(data, safe_parser(), base_url=None)
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (exc.lineno, exc.offset)
        msg = exc.msg or str(exc)
        raise TrialExportError(
            error("XML-PARSE", f"malformed XML: {msg}", file=source, line=line or None, col=col or None)
        ) from None
    tree = root.getroottree()
    # Second line of defence (e.g. an encoding expat could not read): lxml's own view of the DOCTYPE.
    info = tree.docinfo
    if info.system_url or info.public_id:
        raise _unsafe(f"unsafe XML rejected: DOCTYPE refers to an external DTD ({info.system_url!r})", source)
    dtd = info.internalDTD
    if dtd is not None and (not prolog_read or dtd.elements() or dtd.entities()):
        raise _unsafe("unsafe XML rejected: DOCTYPE with declarations is not allowed", source)
    return tree


def root_name(data: bytes | str) -> tuple[str, str] | None:
    """``(namespace URI, local name)`` of the root element, read without parsing the rest (``None`` if the text does
    not start like XML). Cheap enough for content detection; nothing is resolved or loaded."""
    found: list[tuple[str, str]] = []
    p = expat.ParserCreate(namespace_separator=" ")

    def start(name: str, *_attrs: object) -> None:
        ns, _sep, local = name.rpartition(" ")
        found.append((ns, local))
        raise _RootReached

    p.StartElementHandler = start
    try:
        p.Parse(data.encode("utf-8") if isinstance(data, str) else data, True)
    except _RootReached:
        pass
    except (expat.ExpatError, ValueError):
        return found[0] if found else None
    return found[0] if found else None
