"""The element rules the FHIR JSON schemas do not state, checked in one walk per resource after the schema check.

* ``FHIR-BINDING``: a ``code`` outside the required value set of its element (tables and reasons:
  :mod:`.bindings`);
* ``FHIR-REQUIRED`` / ``FHIR-CHOICE``: a required element (min >= 1) missing from an object that is present, or two
  types of one choice element (:mod:`.required`);
* ``FHIR-REF``: inside a Bundle, a ``Reference.reference`` (``urn:uuid:``/``urn:oid:``, or ``Type/id``) that
  resolves to no entry.

Per FHIR version one plan is built once: for each schema definition from which a rule can be reached, its required
elements, its choice elements, and per property the code check, reference check and sub-definition to descend into
(read from the schema's ``$ref`` s). A resource is walked following the plan only, so properties that cannot lead to
a rule are never visited, and the JSON pointer of a value is only built when a finding is reported.
What an object's property names alone decide (required elements missing, a choice given in two types, which
properties have a rule) is worked out once per definition and tuple of names (:class:`_Shape`): the hundreds of
Locations of a study share one; their values are still checked one by one (tests/test_fhir_fast_path_parity.py).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, NamedTuple

from trialexport.diagnostics import Diagnostic, error, info

from .bindings import load_bindings
from .pieces import MAX_MSG, Piece, escape, pointer, resource_slots
from .project_rules import check_extension, extension_ok
from .required import load_required
from .schema import load_schema, resource_types
from .schemagraph import links, paths_of, reaching, ref_target

__all__ = ["Findings", "element_errors", "element_findings", "prepare", "walk_gaps"]

JSON = dict[str, Any]


_LIST_MAX = 12  # codes shown in a message before it says "... N codes"


def _listing(version: str, element: str, codes: list[str]) -> str:
    shown = ", ".join(codes[:_LIST_MAX]) if len(codes) <= _LIST_MAX else ", ".join(codes[: _LIST_MAX - 2])
    if len(codes) > _LIST_MAX:
        shown += f", ... {len(codes)} codes"
    vs = load_bindings(version).get("valueSets", {}).get(element)
    return f"{shown}; {vs}" if vs else shown


class _Def:
    """The plan of one schema definition (a resource, datatype or backbone element)."""

    __slots__ = ("choices", "opens", "props", "required", "shapes")

    def __init__(self) -> None:
        self.opens: frozenset[str] = frozenset()  # properties whose schema admits any JSON value (xhtml ``div``)
        self.required: list[tuple[str, str, frozenset[str]]] = []  # (element, element path, satisfying JSON names)
        self.choices: dict[str, tuple[str, str]] = {}  # JSON name (and its "_" form) -> (choice path, JSON name)
        # property -> (allowed codes or None, element path, FHIR version, is Reference.reference, sub-definition)
        self.props: dict[str, tuple[frozenset[str] | None, str, str, bool, _Def | None]] = {}
        self.shapes: dict[tuple[str, ...], _Shape] = {}  # the structural verdict per tuple of property names

    def shape(self, keys: tuple[str, ...]) -> _Shape:
        """The structural verdict for an object with these property names (in this order), worked out once."""
        found = self.shapes.get(keys)
        if found is None:
            found = _Shape(self, keys)
            if len(self.shapes) < _MAX_SHAPES:
                self.shapes[keys] = found
        return found


_EXTENSION_KEYS = ("extension", "modifierExtension")
_MAX_SHAPES = 4096  # shapes remembered per definition (a hostile file with endless key sets is still checked)
Rule = tuple[frozenset[str] | None, str, str, bool, "_Def | None"]


class _Shape:
    """What the property names of an object decide alone, whatever its values: the required elements missing
    (``(element, message)``), the choice elements given in two types (``(property, message)``), and the properties
    that have a rule (in the object's order). Objects of one shape (hundreds of Locations of a study) share it, and
    only their values are checked one by one."""

    __slots__ = ("choices", "exts", "inert", "missing", "opens", "ruled")

    def __init__(self, plan: _Def, keys: tuple[str, ...]) -> None:
        self.exts = tuple(k for k in keys if k in _EXTENSION_KEYS)
        self.opens = tuple(k for k in keys if k in plan.opens)
        self.missing = [(elem, f"required element {path} (min 1) is missing") for elem, path, names in plan.required
                        if names.isdisjoint(keys)]
        chosen: dict[str, set[str]] = {}
        for prop in keys:
            if (choice := plan.choices.get(prop)) is not None:
                chosen.setdefault(choice[0], set()).add(choice[1])
        self.choices = [(sorted(given)[1], f"choice element {path} has one type, got {len(given)}: "
                                           f"{', '.join(sorted(given))}")
                        for path, given in chosen.items() if len(given) > 1]
        self.ruled: list[tuple[str, Rule]] = [(prop, plan.props[prop]) for prop in keys if prop in plan.props]
        # nothing to report and nothing to descend into: visiting an object of this shape does nothing at all
        self.inert = not (self.missing or self.choices or self.ruled or self.exts or self.opens)


@cache
def _plan(version: str) -> dict[str, _Def]:
    """``definition name -> _Def`` for every definition from which a rule can be reached."""
    defs = load_schema(version)["definitions"]
    bound: dict[str, list[str]] = load_bindings(version)["bindings"]
    doc = load_required(version)
    required: dict[str, dict[str, list[str]]] = doc["required"]
    choices: dict[str, dict[str, list[str]]] = doc.get("choices", {})
    paths = paths_of(version)

    graph = links(version)
    bound_at: dict[str, dict[str, str]] = {}  # parent element path -> property -> bound element path
    for element in bound:
        parent, _, prop = element.rpartition(".")
        bound_at.setdefault(parent, {})[prop] = element
    nodes: dict[str, _Def] = {}
    into: dict[str, dict[str, str]] = {}
    checks: dict[str, dict[str, tuple[frozenset[str] | None, str, str, bool]]] = {}
    for name, aliases in paths.items():
        node = nodes[name] = _Def()
        schema_required = set(defs[name].get("required", ()))  # the schema check already reports these
        if (path := next((p for p in aliases if p in required), None)) is not None:
            node.required = [(elem, f"{path}.{elem}", frozenset(n for j in names for n in (j, f"_{j}")))
                             for elem, names in required[path].items() if not schema_required.issuperset(names)]
        if (path := next((p for p in aliases if p in choices), None)) is not None:
            node.choices = {form: (f"{path}.{elem}", json_name) for elem, names in choices[path].items()
                            for json_name in names for form in (json_name, f"_{json_name}")}
        here: dict[str, tuple[frozenset[str] | None, str, str, bool]] = {}
        for alias in aliases:  # a code bound at the first of the definition's paths that binds it
            for prop, element in bound_at.get(alias, {}).items():
                if prop not in here and prop in defs[name]["properties"]:
                    here[prop] = (frozenset(bound[element]), element, version, False)
        if name == "Reference":
            here["reference"] = (None, "Reference.reference", "", True)
        if here:
            checks[name] = here
        for prop, (target, _) in graph.get(name, {}).items():
            if prop not in here and target in paths:
                into.setdefault(name, {})[prop] = target
    live = reaching((n for n in nodes if nodes[n].required or nodes[n].choices or n in checks), into)
    for name in live:
        node = nodes[name]
        node.opens = frozenset(prop for prop, sub in defs[name]["properties"].items() if _open(sub, defs))
        for prop, (codes, element, listing, is_ref) in checks.get(name, {}).items():
            node.props[prop] = (codes, element, listing, is_ref, None)
        for prop, target in into.get(name, {}).items():
            if target in live:
                node.props[prop] = (None, "", "", False, nodes[target])
    return {name: nodes[name] for name in live}


_SCALARS = ("string", "number", "integer", "boolean")


def _open(prop: JSON, defs: JSON) -> bool:
    """Whether a property schema admits a value that holds a JSON object without naming its definition: anything
    but a ``$ref`` to a definition with properties (which the walk follows), a ``ResourceList`` (cut out by
    :func:`.pieces.split`), scalars, ``const``/``enum`` scalars and arrays of those (the R5/R4 ``xhtml`` is ``{}``)."""
    target, _ = ref_target(prop)
    if target is not None:
        return target != "ResourceList" and "properties" not in defs[target] and _open(defs[target], defs)
    if "const" in prop or "enum" in prop:
        return any(isinstance(v, (dict, list)) for v in prop.get("enum", [prop.get("const")]))
    if prop.get("type") in _SCALARS:
        return False
    items = prop.get("items")
    return not (prop.get("type") == "array" and isinstance(items, dict) and not _open(items, defs))


@cache
def walk_gaps(version: str) -> tuple[str, ...]:
    """Where an object of a schema-valid ``version`` document could lie that the walk does not visit (empty: none).

    The walk visits every object of a schema-valid document (each piece's root, then by induction every object
    below) when: every resource type has a plan; every definition with a plan admits no property outside its
    schema ``properties`` (``additionalProperties: false``); and each of its properties is either followed into the
    plan of its ``$ref`` definition, a ``ResourceList`` slot that :func:`.pieces.split` cuts out into its own piece,
    a scalar (or ``const``/``enum``/array of scalars), or *open* (:attr:`_Def.opens`: the walk then notes whether its
    value is an object or array, :attr:`_Walk.unwalked`). Worked out from the schema, not assumed.
    """
    defs = load_schema(version)["definitions"]
    plan = _plan(version)
    slots = resource_slots(version)
    gaps = [f"{t}: no plan" for t in sorted(resource_types(version)) if t not in plan]
    for name, node in plan.items():
        if defs[name].get("additionalProperties") is not False:
            gaps.append(f"{name}: admits other properties")
        for prop, sub in defs[name]["properties"].items():
            target, _ = ref_target(sub)
            if target == "ResourceList":
                if slots.get(name, {}).get(prop, ("",))[0] != "resource":
                    gaps.append(f"{name}.{prop}: a ResourceList the split does not cut out")
            elif target is not None and "properties" in defs[target]:
                rule = node.props.get(prop)
                if rule is None or rule[4] is not plan.get(target):
                    gaps.append(f"{name}.{prop}: {target} not followed")
    return tuple(gaps)


def prepare(version: str) -> None:
    """Build ``version``'s plan now (otherwise done on first use)."""
    _plan(version)
    walk_gaps(version)


class _Walk:
    """One walk over the pieces of a resource or Bundle; findings per kind, in document order."""

    __slots__ = ("base", "bindings", "refs", "required", "rules", "stack", "unwalked")

    def __init__(self, extensions: bool = False) -> None:
        self.rules: list[Diagnostic] | None = [] if extensions else None  # FHIR-EXTENSION findings, if asked
        self.unwalked = False  # an object or array found in an open property (not walked: see walk_gaps)
        self.bindings: list[Diagnostic] = []
        self.required: list[Diagnostic] = []
        self.refs: list[tuple[str, tuple[str | int, ...], str]] = []  # (base, tokens: the pointer, reference)
        self.base = ""
        self.stack: list[str | int] = []  # property names and indices down to the node visited

    def pointer(self, *tail: str | int) -> str:
        """The JSON pointer of the node being visited, extended by ``tail`` (property names and indices)."""
        return self.base + "".join(f"/{escape(t)}" for t in (*self.stack, *tail))

    def visit(self, node: JSON, plan: _Def) -> None:
        keys = tuple(node)
        self.shaped(node, plan.shapes.get(keys) or plan.shape(keys))

    def shaped(self, node: JSON, shape: _Shape) -> None:
        """Visit ``node``, an object of ``shape``; the objects below of an inert shape are skipped (their visit would
        do nothing)."""
        for elem, msg in shape.missing:
            self.required.append(error("FHIR-REQUIRED", msg, path=self.pointer(elem)))
        if self.rules is not None:  # before the objects below: extension findings in the slow walk's order
            for prop in shape.exts:  # as project_rules.project_rule_errors does for every object it visits
                value = node[prop]
                if isinstance(value, list):
                    for i, ext in enumerate(value):
                        if isinstance(ext, dict) and not extension_ok(ext):
                            check_extension(ext, self.pointer(prop, i), self.rules)
            for prop in shape.opens:
                if isinstance(node[prop], (dict, list)):
                    self.unwalked = True
        for prop, (codes, element, listing, is_ref, sub) in shape.ruled:
            value = node[prop]
            if sub is not None:
                if isinstance(value, dict):
                    child = sub.shapes.get(keys := tuple(value)) or sub.shape(keys)
                    if not child.inert:
                        self.stack.append(prop)
                        self.shaped(value, child)
                        self.stack.pop()
                elif isinstance(value, list):
                    self.stack.append(prop)
                    for i, item in enumerate(value):
                        if isinstance(item, dict):
                            child = sub.shapes.get(keys := tuple(item)) or sub.shape(keys)
                            if not child.inert:
                                self.stack.append(i)
                                self.shaped(item, child)
                                self.stack.pop()
                    self.stack.pop()
            elif is_ref:
                if isinstance(value, str):
                    self.refs.append((self.base, (*self.stack, prop), value))
            elif codes is not None:
                if isinstance(value, str):
                    if value not in codes:
                        self._bad(value, element, listing, prop)
                elif isinstance(value, list):
                    for i, v in enumerate(value):
                        if isinstance(v, str) and v not in codes:
                            self._bad(v, element, listing, prop, str(i))
        for prop, msg in shape.choices:
            self.required.append(error("FHIR-CHOICE", msg, path=self.pointer(prop)))

    def _bad(self, value: str, element: str, version: str, *tail: str) -> None:
        listing = _listing(version, element, load_bindings(version)["bindings"][element])
        msg = f"{value!r} is not in the required value set for {element} ({listing})"
        if len(msg) > MAX_MSG:
            msg = msg[: MAX_MSG - 1] + "…"
        self.bindings.append(error("FHIR-BINDING", msg, path=self.pointer(*tail)))


_LITERAL_REF = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?$")
_TAIL_REF = re.compile(r"(?:^|/)([A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64})$")


#: Bundle types whose Composition must find what it references inside the Bundle (FHIR documents are self-contained:
#: the Composition's subject, authors, section entries, ... travel with it). Elsewhere a ``Type/id`` reference that
#: names no entry is resolved outside the Bundle, against the server base (FHIR "Resolving references in Bundles"):
#: a searchset or history page, a message or a batch may point at resources it does not carry.
SELF_CONTAINED_TYPES = ("document",)


def _unresolved(bundle: JSON, refs: list[tuple[str, tuple[str | int, ...], str]], self_contained: bool,
                ) -> list[Diagnostic]:  # fmt: skip
    """Findings for references that name no entry of ``bundle`` (by fullUrl, or ``Type/id``).

    ``urn:uuid:``/``urn:oid:`` references can only resolve to an entry's fullUrl: ``FHIR-REF`` in any Bundle. A
    ``Type/id`` reference is ``FHIR-REF`` when ``self_contained`` (trialexport's own outputs), or inside the
    Composition of a ``document`` Bundle; otherwise ``FHIR-REF-OUTSIDE`` (information: resolved outside the Bundle).
    """
    full_urls: set[str] = set()
    literal: set[str] = set()
    for entry in bundle.get("entry") or ():
        if not isinstance(entry, dict):
            continue
        url = entry.get("fullUrl")
        if isinstance(url, str):
            full_urls.add(url)
            if m := _TAIL_REF.search(url):
                literal.add(m.group(1))
        res = entry.get("resource")
        if isinstance(res, dict) and isinstance(res.get("resourceType"), str) and isinstance(res.get("id"), str):
            literal.add(f"{res['resourceType']}/{res['id']}")
    btype = bundle.get("type")
    inside = "/entry/0/resource/" if btype in SELF_CONTAINED_TYPES else None
    found = []
    for base, tokens, ref in refs:  # the JSON pointer is only built for a reference that resolves to no entry
        if ref.startswith(("urn:uuid:", "urn:oid:")):
            if ref not in full_urls:
                path = pointer(base, tokens)
                found.append(error("FHIR-REF", f"reference {ref!r} matches no entry fullUrl in the Bundle", path=path))
        elif (m := _LITERAL_REF.match(ref)) and f"{m.group(1)}/{m.group(2)}" not in literal:
            path = pointer(base, tokens)
            if self_contained or (inside is not None and path.startswith(inside)):
                why = "" if self_contained else f" (a {btype} Bundle carries what its Composition references)"
                found.append(error("FHIR-REF", f"reference {ref!r} matches no entry (resourceType/id or fullUrl){why}",
                                   path=path))
            else:
                found.append(info("FHIR-REF-OUTSIDE", f"reference {ref!r} names no entry of this {btype or 'untyped'} "
                                  "Bundle: it resolves outside the Bundle (server base)", path=path))
    return found


class Findings(NamedTuple):
    """What one element walk found, each kind in document order."""

    bindings: list[Diagnostic]
    required: list[Diagnostic]  # FHIR-REQUIRED and FHIR-CHOICE
    refs: list[Diagnostic]
    extensions: list[Diagnostic] | None  # FHIR-EXTENSION, when asked and the walk visited every object


def element_findings(pieces: list[Piece], version: str, bundle: JSON | None = None, *, self_contained: bool = True,
                     extensions: bool = False) -> Findings:  # fmt: skip
    """The findings of the given pieces.

    ``pieces``: ``(JSON pointer, resourceType, resource without its nested resources)`` as split by the FHIR
    validator. References are checked only when the pieces come from ``bundle`` (a Bundle's entries); how strictly:
    :func:`_unresolved` (``self_contained``: every reference must resolve, as in trialexport's outputs). Values of the
    wrong JSON type are left to the schema check. ``extensions``: also check every extension list of every object
    visited (``Findings.extensions``; ``None`` if the walk may have missed an object: :func:`walk_gaps` names a gap
    of the schema or an open property holds an object or array).
    """
    plan = _plan(version)
    walk = _Walk(extensions)
    for where, rtype, shell in pieces:
        node = plan.get(rtype)
        if node is not None:
            walk.base = where
            walk.visit(shell, node)
    in_bundle = bundle is not None and isinstance(bundle.get("entry"), list)
    refs = _unresolved(bundle, walk.refs, self_contained) if bundle is not None and in_bundle else []
    whole = not walk.unwalked and not walk_gaps(version)
    return Findings(walk.bindings, walk.required, refs, walk.rules if whole else None)


def element_errors(pieces: list[Piece], version: str, bundle: JSON | None = None, *,
                   self_contained: bool = True) -> tuple[list[Diagnostic], list[Diagnostic], list[Diagnostic]]:
    """``(bindings, required and choice, references)`` findings of the given pieces (:func:`element_findings`)."""
    found = element_findings(pieces, version, bundle, self_contained=self_contained)
    return found.bindings, found.required, found.refs
