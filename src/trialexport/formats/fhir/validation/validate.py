"""Validate FHIR R5 / R4 JSON against the official JSON schemas and the element rules they leave out, fast.

Pieces (:mod:`.pieces`) are checked against their own schema definitions (:mod:`.schema`), then walked once for the
rules the schemas do not state (:mod:`.elements`: required bindings, required and choice elements, references).

Engines
-------
``"rs"`` (default): ``jsonschema_rs``. One validator per FHIR version is compiled: its root has one property per
resource type, ``{"<Type>": {"type": "array", "items": {"$ref": "#/definitions/<Type>"}}}``, so each piece is validated
against ``#/definitions/<Type>`` and a whole Bundle is checked in a single native call.
``"py"``: python-``jsonschema`` (the reference), the validator class the schema declares (draft-06), one validator per
``(version, resourceType)`` whose root is ``{"$ref": "#/definitions/<Type>"}``. Its ``pattern`` keyword is replaced by
one with ECMA-262 anchoring (see :func:`~.schema.ecma_to_python_regex`): Python's ``$`` also matches before a final
``\\n``, so python-jsonschema alone accepts ``"active\\n"`` as a ``code``, which the JSON Schema spec (ECMA-262) and
jsonschema_rs reject.

Required bindings
-----------------
The R5 schema has no ``enum`` for coded elements with a required binding (``ResearchStudy.status`` is a plain
``code``). After the schema check the same pieces are walked against tables generated from the R5 core package's
StructureDefinitions/ValueSets/CodeSystems (R4: of ``hl7.fhir.r4.examples``) and each code outside its value set is
reported as ``FHIR-BINDING``, unless the schema check already reported that path (R4's enums, the 26 enums R5 does
have, a ``code`` that fails its pattern): one finding per bad value. See :mod:`.bindings`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from trialexport.diagnostics import Diagnostic, error

from .elements import element_findings
from .elements import prepare as prepare_elements
from .messages import explain_pattern
from .pieces import JSON, Piece, escape, pointer, short, split
from .project_rules import MAX_STRING, project_rule_errors
from .schema import check_version, ecma_to_python_regex, load_schema, resource_types

ENGINES = ("rs", "py")


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
    check_version(version)
    prepare_elements(version)
    if engine == "rs":
        _rs_validator(version)
    else:
        _py_class(version)


def _unknown(name: str, base: str, rtype: str, version: str) -> Diagnostic:
    return error(
        "FHIR-SCHEMA",
        f"unknown property {name!r}: the FHIR {version.upper()} schema allows no such element here (in {rtype})",
        path=f"{base}/{escape(name)}",
    )


def _rs_errors(pieces: list[Piece], version: str) -> list[Diagnostic]:
    grouped: dict[str, list[JSON]] = {}
    where: dict[str, list[tuple[int, str]]] = {}
    for order, (ptr, rtype, shell) in enumerate(pieces):
        grouped.setdefault(rtype, []).append(shell)
        where.setdefault(rtype, []).append((order, ptr))
    validator = _rs_validator(version)
    if validator.is_valid(grouped):
        return []
    found: list[tuple[int, Diagnostic]] = []
    for err in validator.iter_errors(grouped):
        path = list(err.instance_path)
        if len(path) < 2:  # pragma: no cover - the wrapper itself cannot fail
            found.append((-1, error("FHIR-SCHEMA", short(err.message), path="")))
            continue
        rtype, index, rest = path[0], path[1], path[2:]
        order, ptr = where[rtype][index]
        base = pointer(ptr, rest)
        unexpected = getattr(err.kind, "unexpected", None)
        if unexpected:
            found.extend((order, _unknown(u, base, rtype, version)) for u in unexpected)
        else:
            pattern = getattr(err.kind, "pattern", None)
            readable = explain_pattern(err.instance, pattern, version) \
                if isinstance(pattern, str) and isinstance(err.instance, str) else None
            found.append((order, error("FHIR-SCHEMA", readable or short(err.message), path=base)))
    found.sort(key=lambda item: item[0])  # document order of the pieces, as the "py" engine reports them
    return [d for _, d in found]


def _py_errors(pieces: list[Piece], version: str) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for ptr, rtype, shell in pieces:
        validator = _py_validator(version, rtype)
        for err in validator.iter_errors(shell):
            base = pointer(ptr, err.absolute_path)
            if err.validator == "additionalProperties" and isinstance(err.instance, dict):
                allowed = err.schema.get("properties", {})
                extra = [k for k in err.instance if k not in allowed]
                found.extend(_unknown(u, base, rtype, version) for u in extra)
            else:
                readable = explain_pattern(err.instance, err.validator_value, version) \
                    if err.validator == "pattern" and isinstance(err.instance, str) else None
                found.append(error("FHIR-SCHEMA", readable or short(err.message), path=base))
    return found


def walk_decides(size: int | None, schema_clean: bool) -> bool:
    """Whether the element walk's extension findings stand for :func:`.project_rules.project_rule_errors`.

    ``size``: the length in bytes of a JSON text of the document (its serialization), if known; ``schema_clean``:
    the schema check (and the split into pieces) found nothing. Then the findings are identical:

    * ``FHIR-STRING-LIMIT`` cannot apply when ``size <= MAX_STRING`` (1,048,576): each string of the document is one
      JSON string literal of that text, and a literal takes at least one byte per character (UTF-8 encodes a code
      point in 1-4 bytes, an escape such as ``\\n`` or ``\\u00e9`` in 2 or 6, a surrogate pair in 12), so no string
      has more characters than the text has bytes. A longer text gets the full walk.
    * ``FHIR-EXTENSION``: the slow walk checks the ``extension``/``modifierExtension`` list of every object of the
      document. A schema-valid document holds no object the element walk does not visit when
      :func:`.elements.walk_gaps` is empty (worked out from the schema) and no open property (``xhtml``) holds an
      object or array (the walk notes it, and then the full walk runs). An object of an inert shape is skipped, but
      it has no extension list, no open property and no property the walk follows, hence no object below it. The
      walk checks the same lists with the same function, at the same JSON pointers, ancestors before descendants as
      in the slow walk, and the findings are sorted by path like the slow walk's (a stable sort: findings at one
      path keep that order). A non-BMP character is one character of a Python string and 4 bytes of UTF-8.
    """
    return schema_clean and size is not None and size <= MAX_STRING


def validate_fhir(obj: JSON, version: str, *, engine: str = "rs", self_contained: bool = True,
                  size: int | None = None) -> list[Diagnostic]:
    """Validate a Bundle or single resource against the official ``version`` ("r5"/"r4") JSON schema.

    Findings: ``FHIR-SCHEMA`` (path = JSON pointer into ``obj``), ``FHIR-BINDING`` for a ``code`` outside the
    required value set of its element (:mod:`.bindings`; the R5 schema has no enums for most
    of them; a value the schema already rejects at that path, e.g. against an R4 ``enum``, is not reported twice),
    ``FHIR-REQUIRED`` for an element with cardinality min >= 1 missing from an object that is present
    (:mod:`.required`; the schemas require no primitive element) and, inside a Bundle,
    ``FHIR-REF`` for a ``urn:uuid:``/``urn:oid:`` or ``Type/id`` reference that resolves to no
    entry (``self_contained=False``, for files from elsewhere: only where the Bundle type requires it, see
    :func:`.elements._unresolved`). ``engine``: ``"rs"`` (jsonschema_rs; objects holding non-JSON values such as
    ``datetime`` go to the reference engine) or ``"py"``. ``FHIR-STRING-LIMIT`` and ``FHIR-EXTENSION``:
    :mod:`.project_rules`; ``size``: the byte length of ``obj``'s serialization, if known (:func:`walk_decides`).
    """
    check_version(version)
    engine = choose_engine(engine)
    if not isinstance(obj, dict):
        return [error("FHIR-SCHEMA", f"expected a JSON object (FHIR resource), got {type(obj).__name__}", path="")]
    pieces, found = split(obj, version)
    if engine == "rs":
        try:
            found += _rs_errors(pieces, version)
        except ValueError:  # a value that is not JSON (e.g. a datetime): the py engine reports where it is
            found += _py_errors(pieces, version)
    else:
        found += _py_errors(pieces, version)
    walk = element_findings(pieces, version, obj if obj.get("resourceType") == "Bundle" else None,
                            self_contained=self_contained, extensions=walk_decides(size, not found))
    if walk.bindings:  # a value the schema already rejected is reported once
        flagged = {d.path for d in found}
        found += [d for d in walk.bindings if d.path not in flagged]
    if walk.extensions is not None:
        rules = sorted(walk.extensions, key=lambda d: d.path or "")
    else:
        rules = project_rule_errors(obj)
    return found + walk.required + walk.refs + rules

