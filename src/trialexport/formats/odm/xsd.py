"""The vendored ODM XSDs (from odmlib 0.2.1), compiled offline, and what the checks read from them.

``schemas/odm-1.3.2/ODM1-3-2.xsd`` and ``schemas/odm-2.0/ODM.xsd`` are each compiled once per process with an lxml
parser whose resolver serves only files inside that version's folder (``no_network=True``; any other
import/include location is refused and compilation fails loudly).

Besides the schema itself (:func:`odm_schema`) the XSDs give: the attributes declared with type ``oidref``
(:func:`oidref_attributes`, what the OID-reference check follows) and their identity constraints, read as data by
:mod:`.identity`; :func:`structural_schema` is the same schema without those constraints, for documents whose
constraints :mod:`.identity` decides on the emitter's record (libxml2 spends about three quarters of its validation
time on them; issue 17).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

from lxml import etree

from trialexport.diagnostics import TrialExportError, error
from trialexport.resources import schema_path

#: Main XSD per ODM version: (folder under ``schemas/``, file name).
MAIN_XSD = {"1.3.2": "ODM1-3-2.xsd", "2.0": "ODM.xsd"}  # main schema document per version, in schemas/odm-<version>/
NAMESPACES = {"1.3.2": "http://www.cdisc.org/ns/odm/v1.3", "2.0": "http://www.cdisc.org/ns/odm/v2.0"}
XS = "{http://www.w3.org/2001/XMLSchema}"
#: The XSD elements that declare identity constraints.
IDENTITY = (f"{XS}unique", f"{XS}key", f"{XS}keyref")


def check_version(version: str) -> str:
    """``version`` if it is one of :data:`MAIN_XSD`; else ``ValueError``."""
    if version not in MAIN_XSD:
        raise ValueError(f"unknown ODM version {version!r}; expected one of {', '.join(MAIN_XSD)}")
    return version


def _without_identity(root: etree._Element) -> etree._Element:
    for node in list(root.iter(*IDENTITY)):
        node.getparent().remove(node)
    return root


class _VendoredOnly(etree.Resolver):
    """Serve schema documents only from one vendored folder (``structural``: without their identity constraints);
    refuse everything else."""

    def __init__(self, folder: Path, structural: bool = False) -> None:
        super().__init__()
        self.folder = folder.resolve()
        self.structural = structural
        self.refused: list[str] = []

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        path = system_url[len("file://") :] if system_url.startswith("file://") else system_url
        candidate = Path(path).resolve() if "://" not in path else None
        if candidate is not None and candidate.parent == self.folder and candidate.is_file():
            if not self.structural:
                return self.resolve_filename(str(candidate), context)
            text = etree.tostring(_without_identity(etree.parse(str(candidate), _plain_parser()).getroot()))
            return self.resolve_string(text, context, base_url=str(candidate))
        self.refused.append(system_url)
        raise PermissionError(f"refusing to load {system_url!r}: not a vendored file of {self.folder}")


def _plain_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _schema_parser(folder: Path, structural: bool = False) -> tuple[etree.XMLParser, _VendoredOnly]:
    parser = _plain_parser()
    resolver = _VendoredOnly(folder, structural)
    parser.resolvers.add(resolver)
    return parser, resolver


def _compile(version: str, structural: bool) -> etree.XMLSchema:
    main_path = schema_path(f"odm-{check_version(version)}", MAIN_XSD[version])
    parser, resolver = _schema_parser(main_path.parent, structural)
    try:
        root = etree.parse(str(main_path), parser).getroot()
        return etree.XMLSchema(_without_identity(root) if structural else root)
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
        why = f"; refused: {', '.join(resolver.refused)}" if resolver.refused else ""
        raise TrialExportError(
            error("ODM-XSD-LOAD", f"cannot compile ODM {version} schema {main_path}: {exc}{why}", file=str(main_path))
        ) from exc


@cache
def odm_schema(version: str) -> etree.XMLSchema:
    """The compiled XSD for ``version`` ("1.3.2" / "2.0"); compiled once per process, offline."""
    return _compile(version, structural=False)


@cache
def structural_schema(version: str) -> etree.XMLSchema:
    """:func:`odm_schema` without its identity constraints (``xs:unique``/``xs:key``/``xs:keyref``): valid here and
    no constraint violated (:mod:`.identity`) is exactly valid there."""
    return _compile(version, structural=True)


def schema_documents(version: str, *, every: bool = False) -> Iterator[etree._Element]:
    """The root of each vendored XSD document of ``version`` whose target namespace is the ODM one (``every``: of
    every vendored XSD document, e.g. ``xml.xsd``), by file name."""
    folder = schema_path(f"odm-{check_version(version)}")
    parser, _ = _schema_parser(folder)
    for xsd in sorted(folder.glob("*.xsd")):
        root = etree.parse(str(xsd), parser).getroot()
        if every or root.get("targetNamespace") == NAMESPACES[version]:
            yield root


@cache
def oidref_attributes(version: str) -> dict[str, frozenset[str]]:
    """Element local name -> names of its attributes that the ``version`` XSDs declare as type ``oidref``."""
    groups: dict[str, tuple[set[str], set[str]]] = {}
    types: dict[str, tuple[set[str], set[str], set[str]]] = {}
    elements: dict[str, set[str]] = {}

    def local(qname: str | None) -> str:
        return (qname or "").rsplit(":", 1)[-1]

    def collect(node: etree._Element) -> tuple[set[str], set[str], set[str]]:
        """(oidref attribute names, attributeGroup refs, base/type refs) declared under ``node``."""
        attrs = {a.get("name") for a in node.iter(f"{XS}attribute") if local(a.get("type")) == "oidref"}
        refs = {local(g.get("ref")) for g in node.iter(f"{XS}attributeGroup") if g.get("ref")}
        bases = {local(b.get("base")) for b in node.iter(f"{XS}extension", f"{XS}restriction") if b.get("base")}
        return attrs, refs, bases

    for root in schema_documents(version):
        for g in root.iter(f"{XS}attributeGroup"):
            if g.get("name"):
                attrs, refs, _ = collect(g)
                groups[g.get("name")] = (attrs, refs)
        for t in root.iter(f"{XS}complexType"):
            if t.get("name"):
                types[t.get("name")] = collect(t)
        for el in root.iter(f"{XS}element"):
            if el.get("name"):
                inline = el.find(f"{XS}complexType")
                if el.get("type"):
                    elements.setdefault(el.get("name"), set()).add(local(el.get("type")))
                elif inline is not None:
                    key = f"#inline:{el.get('name')}"
                    types[key] = collect(inline)
                    elements.setdefault(el.get("name"), set()).add(key)

    @cache
    def group_attrs(name: str) -> frozenset[str]:
        attrs, refs = groups.get(name, (set(), set()))
        return frozenset(attrs).union(*(group_attrs(r) for r in refs if r != name))

    @cache
    def type_attrs(name: str) -> frozenset[str]:
        attrs, refs, bases = types.get(name, (set(), set(), set()))
        out = frozenset(attrs).union(*(group_attrs(r) for r in refs))
        return out.union(*(type_attrs(b) for b in bases if b != name))

    result: dict[str, frozenset[str]] = {}
    for name, type_names in elements.items():
        found = frozenset[str]().union(*(type_attrs(t) for t in type_names))
        if found:
            result[name] = found
    return result
