"""Validate CDISC ODM 1.3.2 / 2.0 XML against the official XSDs, then check OID references.

The schemas and what is read from them live in :mod:`.xsd`. A document this tool has just emitted is judged on the
structural schema plus its identity constraints decided on the emitter's record (:mod:`.identity`); when either
fails, the full official schema gives the findings, so they are the ones it always gave.

OID references are not a guess: the reference attributes are exactly the attributes the XSDs declare with type
``oidref``, per element (:func:`oidref_attributes`, derived from the vendored XSDs). Each must match the ``@OID`` of
an element of the expected kind (``ItemOID`` -> ``ItemDef``, ``StudyOID`` -> ``Study``, ...; :data:`TARGETS`) or, for
ODM 2.0's ``ArchiveLocationID``/``leafID``, the ``@ID`` of a ``Leaf``. References that by definition point outside the
file are not checked: ``ODM/@PriorFileOID``, ``Include/@StudyOID``/``@MetaDataVersionOID`` (a prior metadata version)
and the item/group/study refs of an ODM 2.0 ``SourceItem`` that names another study, metadata version or leaf.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import TypeVar

from lxml import etree

from trialexport.diagnostics import Diagnostic, TrialExportError, error, info
from trialexport.xmlsafe import parse_xml

from . import identity
from .xsd import MAIN_XSD, NAMESPACES, odm_schema, oidref_attributes, structural_schema
from .xsd import check_version as _check_version

__all__ = [
    "MAIN_XSD",
    "NAMESPACES",
    "TARGETS",
    "detect_odm_version",
    "odm_schema",
    "oidref_attributes",
    "validate_odm",
]

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


def _references_resolve(written: identity.Record, version: str) -> bool:
    """Whether the references of a document as its emitter wrote it (``(local name, attributes, depth)`` of each
    element, in document order; ``None``: not written) all resolve: :func:`_reference_errors` on the parsed
    document would find nothing. A prefixed name (another namespace) is not judged here (``False``).

    One pass over the record gathers what :func:`_problems` needs: the ``(kind, OID)`` definitions and the
    referrers, each in document order as before, and the Leaf IDs (a set: order does not matter), so the result is
    the one the separate passes gave; a prefixed name anywhere still gives ``False`` (only the boolean is returned,
    so stopping early changes nothing)."""
    plan, own = _referrers(version)
    defined: list[tuple[str, str]] = []
    leaf_ids: set[str] = set()
    referrers: list[tuple[None, str, Getter]] = []
    for tag, attrs, _ in written:
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
                 written: identity.Record | None = None) -> list[Diagnostic]:
    """Validate ODM ``xml`` against the official XSD of ``version`` ("1.3.2"/"2.0"; ``None``: from the document).

    Returns ``XML-UNSAFE``/``XML-PARSE`` (document refused), ``ODM-VERSION`` (unknown version), ``ODM-XSD`` (one per
    schema error, with line and path) and ``ODM-OIDREF`` (dangling OID reference) diagnostics; empty when valid.
    ``source``: the file name the findings carry (``None``: none, e.g. an output not written yet, so the caller's
    file name fills in). ``emitted=True``: ``xml`` was just serialized by this tool (see
    :func:`~trialexport.xmlsafe.parse_xml`). ``written``: the emitter's record of ``xml`` (``(local name,
    attributes, depth)`` of each element, in document order; ``xml`` is its serialization): the OID references and
    the identity constraints (:mod:`.identity`) are decided on it and the structure on the schema without those
    constraints; only when one of them fails are the full schema and the parsed document consulted, for the
    findings.
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
    if written is not None:
        resolved = _references_resolve(written, version)
        if resolved and identity.hold(written, version) and structural_schema(version).validate(tree):
            return []  # structure, identity constraints and references all hold: what the full path would say
        found = _schema_errors(tree, version, source)
        return found if resolved else found + _reference_errors(root, version, source)
    return _schema_errors(tree, version, source) + _reference_errors(root, version, source)


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
