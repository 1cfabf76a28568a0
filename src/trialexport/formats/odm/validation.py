"""Validate CDISC ODM 1.3.2 / 2.0 XML against the official XSDs, then check OID references.

Schemas (vendored from odmlib 0.2.1): ``schemas/odm-1.3.2/ODM1-3-2.xsd`` and ``schemas/odm-2.0/ODM.xsd``. Each is
compiled once per process with an lxml parser whose resolver serves only files inside that version's folder
(``no_network=True``; any other import/include location is refused and compilation fails loudly).

OID references are not a guess: the reference attributes are exactly the attributes the XSDs declare with type
``oidref``, per element (:func:`oidref_attributes`, derived from the vendored XSDs). Each must match the ``@OID`` of
an element of the expected kind (``ItemOID`` -> ``ItemDef``, ``StudyOID`` -> ``Study``, ...; :data:`TARGETS`) or, for
ODM 2.0's ``ArchiveLocationID``/``leafID``, the ``@ID`` of a ``Leaf``. References that by definition point outside the
file are not checked: ``ODM/@PriorFileOID``, ``Include/@StudyOID``/``@MetaDataVersionOID`` (a prior metadata version)
and the item/group/study refs of an ODM 2.0 ``SourceItem`` that names another study, metadata version or leaf.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TypeVar

from lxml import etree

from trialexport.diagnostics import Diagnostic, TrialExportError, error, info
from trialexport.resources import schema_path
from trialexport.xmlsafe import parse_xml

__all__ = [
    "MAIN_XSD",
    "NAMESPACES",
    "TARGETS",
    "detect_odm_version",
    "odm_schema",
    "oidref_attributes",
    "validate_odm",
]

#: Main XSD per ODM version: (folder under ``schemas/``, file name).
MAIN_XSD = {"1.3.2": "ODM1-3-2.xsd", "2.0": "ODM.xsd"}  # main schema document per version, in schemas/odm-<version>/
NAMESPACES = {"1.3.2": "http://www.cdisc.org/ns/odm/v1.3", "2.0": "http://www.cdisc.org/ns/odm/v2.0"}
_XS = "{http://www.w3.org/2001/XMLSchema}"

#: Expected target element(s) per reference attribute name; names not listed may match any element's ``@OID``.
TARGETS: dict[str, tuple[str, ...]] = {
    "StudyOID": ("Study",),
    "MetaDataVersionOID": ("MetaDataVersion",),
    "StudyEventOID": ("StudyEventDef",),
    "StudyEventGroupOID": ("StudyEventGroupDef",),
    "FormOID": ("FormDef",),
    "ItemGroupOID": ("ItemGroupDef",),
    "ItemOID": ("ItemDef",),
    "UnitsItemOID": ("ItemDef",),
    "CodeListOID": ("CodeList",),
    "RoleCodeListOID": ("CodeList",),
    "MethodOID": ("MethodDef",),
    "ConditionOID": ("ConditionDef",),
    "CollectionExceptionConditionOID": ("ConditionDef",),
    "StartConditionOID": ("ConditionDef",),
    "EndConditionOID": ("ConditionDef",),
    "CommentOID": ("CommentDef",),
    "MeasurementUnitOID": ("MeasurementUnit",),
    "LocationOID": ("Location",),
    "UserOID": ("User",),
    "OrganizationOID": ("Organization",),
    "PartOfOrganizationOID": ("Organization",),
    "SignatureOID": ("SignatureDef",),
    "ArmOID": ("Arm",),
    "EpochOID": ("Epoch",),
    "WhereClauseOID": ("WhereClauseDef",),
    "ValueListOID": ("ValueListDef",),
    "StandardOID": ("Standard",),
    "ArchiveLayoutOID": ("ArchiveLayout",),
    "PresentationOID": ("Presentation",),
    "ImputationMethodOID": ("ImputationMethod",),
    "WorkflowOID": ("WorkflowDef",),
    "TransitionOID": ("Transition",),
    "TargetTransitionOID": ("Transition",),
    "StudyEndPointOID": ("StudyEndPoint",),
    "StudyTargetPopulationOID": ("StudyTargetPopulation",),
    "StudyInterventionOID": ("StudyIntervention",),
}
_ID_REFS = frozenset({"ArchiveLocationID", "leafID"})  # ODM 2.0: point at Leaf/@ID
_EXTERNAL = {("ODM", "PriorFileOID"), ("Include", "StudyOID"), ("Include", "MetaDataVersionOID")}
H = TypeVar("H")  # what a reference check finding points at (a parsed element; nothing for emitted records)


def _check_version(version: str) -> str:
    if version not in MAIN_XSD:
        raise ValueError(f"unknown ODM version {version!r}; expected one of {', '.join(MAIN_XSD)}")
    return version


# --------------------------------------------------------------------------- XSD loading


class _VendoredOnly(etree.Resolver):
    """Serve schema documents only from one vendored folder; refuse everything else."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder.resolve()
        self.refused: list[str] = []

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        path = system_url[len("file://") :] if system_url.startswith("file://") else system_url
        candidate = Path(path).resolve() if "://" not in path else None
        if candidate is not None and candidate.parent == self.folder and candidate.is_file():
            return self.resolve_filename(str(candidate), context)
        self.refused.append(system_url)
        raise PermissionError(f"refusing to load {system_url!r}: not a vendored file of {self.folder}")


def _schema_parser(folder: Path) -> tuple[etree.XMLParser, _VendoredOnly]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    resolver = _VendoredOnly(folder)
    parser.resolvers.add(resolver)
    return parser, resolver


@cache
def odm_schema(version: str) -> etree.XMLSchema:
    """The compiled XSD for ``version`` ("1.3.2" / "2.0"); compiled once per process, offline."""
    main_path = schema_path(f"odm-{_check_version(version)}", MAIN_XSD[version])
    parser, resolver = _schema_parser(main_path.parent)
    try:
        return etree.XMLSchema(etree.parse(str(main_path), parser))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
        why = f"; refused: {', '.join(resolver.refused)}" if resolver.refused else ""
        raise TrialExportError(
            error("ODM-XSD-LOAD", f"cannot compile ODM {version} schema {main_path}: {exc}{why}", file=str(main_path))
        ) from exc


@cache
def oidref_attributes(version: str) -> dict[str, frozenset[str]]:
    """Element local name -> names of its attributes that the ``version`` XSDs declare as type ``oidref``."""
    folder = schema_path(f"odm-{_check_version(version)}")
    ns = NAMESPACES[version]
    groups: dict[str, tuple[set[str], set[str]]] = {}
    types: dict[str, tuple[set[str], set[str], set[str]]] = {}
    elements: dict[str, set[str]] = {}

    def local(qname: str | None) -> str:
        return (qname or "").rsplit(":", 1)[-1]

    def collect(node: etree._Element) -> tuple[set[str], set[str], set[str]]:
        """(oidref attribute names, attributeGroup refs, base/type refs) declared under ``node``."""
        attrs = {a.get("name") for a in node.iter(f"{_XS}attribute") if local(a.get("type")) == "oidref"}
        refs = {local(g.get("ref")) for g in node.iter(f"{_XS}attributeGroup") if g.get("ref")}
        bases = {local(b.get("base")) for b in node.iter(f"{_XS}extension", f"{_XS}restriction") if b.get("base")}
        return attrs, refs, bases

    parser, _ = _schema_parser(folder)
    for xsd in sorted(folder.glob("*.xsd")):
        root = etree.parse(str(xsd), parser).getroot()
        if root.get("targetNamespace") != ns:
            continue
        for g in root.iter(f"{_XS}attributeGroup"):
            if g.get("name"):
                attrs, refs, _ = collect(g)
                groups[g.get("name")] = (attrs, refs)
        for t in root.iter(f"{_XS}complexType"):
            if t.get("name"):
                types[t.get("name")] = collect(t)
        for el in root.iter(f"{_XS}element"):
            if el.get("name"):
                inline = el.find(f"{_XS}complexType")
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


# --------------------------------------------------------------------------- helpers


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _readable_path(el: etree._Element) -> str:
    """``/ODM/Study[@OID='S']/MetaDataVersion[@OID='M']/ItemDef[2]``-style path of ``el``."""
    steps = []
    node: etree._Element | None = el
    while node is not None:
        name = _local(node.tag)
        oid = node.get("OID")
        if oid is not None:
            name += f"[@OID='{oid}']"
        else:
            parent = node.getparent()
            if parent is not None:
                same = [s for s in parent if s.tag == node.tag]
                if len(same) > 1:
                    name += f"[{same.index(node) + 1}]"
        steps.append(name)
        node = node.getparent()
    return "/" + "/".join(reversed(steps))


def detect_odm_version(xml: bytes) -> str | None:
    """ODM version of ``xml``: "1.3.2" or "2.0" (from ``@ODMVersion`` and the root namespace), else ``None``."""
    try:
        root = parse_xml(xml).getroot()
    except TrialExportError:
        return None
    return _version_of(root)


def _version_of(root: etree._Element) -> str | None:
    if _local(root.tag) != "ODM":
        return None
    ns = etree.QName(root).namespace
    declared = (root.get("ODMVersion") or "").strip()
    if ns == NAMESPACES["2.0"]:
        return "2.0" if not declared or declared.startswith("2.0") else declared
    if ns == NAMESPACES["1.3.2"]:
        return declared or "1.3.2"
    return None


def _schema_errors(tree: etree._ElementTree, version: str, source: str | None) -> list[Diagnostic]:
    schema = odm_schema(version)
    if schema.validate(tree):
        return []
    prefix = "{" + NAMESPACES[version] + "}"
    found = []
    for entry in schema.error_log:
        path = entry.path or None
        if path:
            try:
                hit = tree.xpath(path)
                if hit and isinstance(hit[0], etree._Element):
                    path = _readable_path(hit[0])
            except etree.XPathError:  # pragma: no cover - libxml2 paths are valid XPath
                pass
        message = entry.message.replace(prefix, "")
        found.append(
            error("ODM-XSD", message, file=source, path=path, line=entry.line or None, col=entry.column or None)
        )
    return found


@cache
def _referrers(version: str) -> tuple[dict[str, tuple[tuple[str, frozenset[str]], ...]], frozenset[str]]:
    """(local name -> its checked ``oidref`` attributes sorted, each with its :data:`TARGETS` kinds; local names
    whose ``@OID`` is itself a reference, so defines nothing); built once per version."""
    plan = {}
    own = set()
    for name, attrs in oidref_attributes(version).items():
        if "OID" in attrs:
            own.add(name)
        plan[name] = tuple((a, frozenset(TARGETS.get(a, ()))) for a in sorted(attrs) if (name, a) not in _EXTERNAL)
    return plan, frozenset(own)


# XPath, not iter(): reading every element's tag in Python is the slow part; ``//*[@OID]`` (one pass over elements)
# gives the same document-ordered node list as ``//@OID/..``, whose parent step made it superlinear (issue 17)
_WITH_OID = etree.XPath("//*[@OID]")
_LEAF_IDS = {v: etree.XPath("//o:Leaf/@ID", namespaces={"o": ns}, smart_strings=False) for v, ns in NAMESPACES.items()}
_SOURCE_EXTERNAL = ("StudyOID", "MetaDataVersionOID", "leafID")  # a SourceItem naming one of these points outside
_SOURCE_SKIPPED = frozenset({"ItemOID", "ItemGroupOID", "StudyOID", "MetaDataVersionOID"})

Getter = Callable[[str], "str | None"]


def _problems(defined: Iterable[tuple[str, str]], leaf_ids: set[str], referrers: Iterable[tuple[H, str, Getter]],
              version: str, metadata_here: bool) -> Iterator[tuple[H, str, str]]:
    """``(referrer, attribute, problem)`` for each reference that resolves to nothing of the right kind.

    ``defined``: ``(kind, OID)`` of every element in document order that defines an OID; ``referrers``: ``(handle,
    local name, attribute getter)`` of every element whose local name has checked attributes, in document order.
    The one rule both collectors (the parsed tree, the emitter's records) feed."""
    plan, _ = _referrers(version)
    # OID -> kind of its first definition; the few OIDs defined by more than one kind also get every kind in ``more``
    by_oid: dict[str, str] = {}
    more: dict[str, set[str]] = {}
    for kind, oid in defined:
        first = by_oid.setdefault(oid, kind)
        if first != kind:
            more.setdefault(oid, {first}).add(kind)
    kinds_here = set(by_oid.values())
    for handle, name, get in referrers:
        external = name == "SourceItem" and any(get(a) for a in _SOURCE_EXTERNAL)
        for attr, wanted in plan[name]:
            value = get(attr)
            if value is None:
                continue
            if attr in _ID_REFS:
                if value in leaf_ids:
                    continue
                problem = f"{name}/@{attr}={value!r} matches no Leaf/@ID in the file"
            else:
                found = by_oid.get(value)
                if found is not None and (not wanted or found in wanted):
                    continue
                if external and attr in _SOURCE_SKIPPED:
                    continue
                if found is None:
                    if not metadata_here and wanted and wanted.isdisjoint(kinds_here):
                        continue
                    what = " or ".join(f"{w}/@OID" for w in TARGETS[attr]) if wanted else "@OID"
                    problem = f"{name}/@{attr}={value!r} matches no {what} in the file"
                else:
                    kinds = more.get(value, {found})
                    if not kinds.isdisjoint(wanted):
                        continue
                    problem = (
                        f"{name}/@{attr}={value!r} must be the OID of: {' or '.join(TARGETS[attr])}; "
                        f"it is the OID of: {', '.join(sorted(kinds))}"
                    )
            yield handle, attr, problem


def _reference_errors(root: etree._Element, version: str, source: str | None, *, metadata_here: bool = True) -> list[
    Diagnostic
]:
    """``ODM-OIDREF`` for each reference that resolves to nothing of the right kind; ``metadata_here=False`` (a
    ClinicalData-only file): references to a kind of definition the file does not hold at all are not checked."""
    ns = "{" + NAMESPACES[version] + "}"
    cut = len(ns)  # "{ns}Name" -> "Name"
    plan, own = _referrers(version)
    defined = ((el.tag[cut:], el.get("OID")) for el in _WITH_OID(root)
               if el.tag.startswith(ns) and el.tag[cut:] not in own)
    referrers = ((el, el.tag[cut:], el.get) for el in root.iter(*(ns + name for name in plan)))
    return [error("ODM-OIDREF", problem, file=source, path=f"{_readable_path(el)}/@{attr}", line=el.sourceline)
            for el, attr, problem in _problems(defined, set(_LEAF_IDS[version](root)), referrers, version,
                                               metadata_here)]


def _references_resolve(written: Sequence[tuple[str, Mapping[str, str | None]]], version: str) -> bool:
    """Whether the references of a document as its emitter wrote it (``(local name, attributes)`` of each element
    with attributes, in document order; ``None``: not written) all resolve: :func:`_reference_errors` on the parsed
    document would find nothing. A prefixed name (another namespace) is not judged here (``False``).

    One pass over the record gathers what :func:`_problems` needs: the ``(kind, OID)`` definitions and the
    referrers, each in document order as before, and the Leaf IDs (a set: order does not matter), so the result is
    the one the separate passes gave; a prefixed name anywhere still gives ``False`` (only the boolean is returned,
    so stopping early changes nothing)."""
    plan, own = _referrers(version)
    defined: list[tuple[str, str]] = []
    leaf_ids: set[str] = set()
    referrers: list[tuple[None, str, Getter]] = []
    for tag, attrs in written:
        if ":" in tag:
            return False
        oid = attrs.get("OID")
        if oid is not None and tag not in own:
            defined.append((tag, oid))
        if tag in plan:
            referrers.append((None, tag, attrs.get))
        if tag == "Leaf" and (i := attrs.get("ID")) is not None:
            leaf_ids.add(i)
    return next(_problems(defined, leaf_ids, referrers, version, True), None) is None


def validate_odm(xml: bytes, version: str | None = None, *, source: str | None = None, emitted: bool = False,
                 written: Sequence[tuple[str, Mapping[str, str | None]]] | None = None) -> list[Diagnostic]:
    """Validate ODM ``xml`` against the official XSD of ``version`` ("1.3.2"/"2.0"; ``None``: from the document).

    Returns ``XML-UNSAFE``/``XML-PARSE`` (document refused), ``ODM-VERSION`` (unknown version), ``ODM-XSD`` (one per
    schema error, with line and path) and ``ODM-OIDREF`` (dangling OID reference) diagnostics; empty when valid.
    ``source``: the file name the findings carry (``None``: none, e.g. an output not written yet, so the caller's
    file name fills in). ``emitted=True``: ``xml`` was just serialized by this tool (see
    :func:`~trialexport.xmlsafe.parse_xml`). ``written``: the emitter's record of ``xml`` (``(local name,
    attributes)`` of each element with attributes, in document order; ``xml`` is its serialization): the OID
    references are resolved on it, and the parsed document is walked only to locate findings when one fails.
    """
    if version is not None:
        _check_version(version)
    try:
        tree = parse_xml(xml, source=source or "<bytes>", emitted=emitted)
    except TrialExportError as exc:
        return [exc.diagnostic]
    root = tree.getroot()
    version = version or _version_of(root)
    if version not in MAIN_XSD:
        return [_unknown_version(root, source)]
    found = _schema_errors(tree, version, source)
    if written is not None and _references_resolve(written, version):
        return found
    return found + _reference_errors(root, version, source)


def validate_odm_parsed(tree: etree._ElementTree, version: str | None = None, *, source: str = "<bytes>") -> list[
    Diagnostic
]:
    """Validate a document already parsed with :func:`~trialexport.xmlsafe.parse_xml` (line numbers kept).

    With ``version`` ``None`` (a file from anywhere, ``trialexport validate``) the document's kind is recognised first
    (:mod:`.foreign`: Define-XML, Dataset-XML, ClinicalData-only, older ODM, vendor extensions) and an ``info``
    ``VALIDATE-KIND`` finding names it; a kind that cannot be validated gives an ``info`` ``VALIDATE-SKIP``.
    """
    from .foreign import classify, strip_foreign

    root = tree.getroot()
    if version is not None:
        return _schema_errors(tree, version, source) + _reference_errors(root, version, source)
    version = _version_of(root)
    ns = etree.QName(root).namespace or ""
    kind = classify(root, ns, version) if ns in NAMESPACES.values() else None
    if kind is not None and kind.version is None:
        return [_note("VALIDATE-KIND", kind.title, root, source), _note("VALIDATE-SKIP", kind.skip, root, source)]
    if version not in MAIN_XSD:
        return [_unknown_version(root, source)]
    assert kind is not None
    core, notes = strip_foreign(tree, NAMESPACES[version])
    found = [_note("VALIDATE-KIND", kind.title, root, source), *kind.notes, *notes]
    found += _schema_errors(core, version, source)
    found += _reference_errors(root, version, source, metadata_here=kind.metadata_here)
    return found


def _unknown_version(root: etree._Element, source: str | None) -> Diagnostic:
    declared = root.get("ODMVersion")
    return error("ODM-VERSION", f"cannot validate: root <{_local(root.tag)}> in namespace "
                 f"{etree.QName(root).namespace!r} with ODMVersion={declared!r} is not ODM 1.3.2 or 2.0",
                 file=source, line=root.sourceline, path=f"/{_local(root.tag)}")


def _note(code: str, message: str, root: etree._Element, source: str) -> Diagnostic:
    return info(code, message, file=source, line=root.sourceline)
