"""Rules of the FHIR specification the JSON schemas do not state, checked over a whole document in one walk:

* ``FHIR-STRING-LIMIT``: a string longer than 1,048,576 characters ("strings SHALL NOT exceed 1MB in size",
  FHIR datatypes, string); the official schemas have no maxLength, independent validators reject it.
* ``FHIR-EXTENSION``: an extension whose URL has a definition the project knows (its own package, the HL7
  cross-version extensions and HL7 core extensions it uses: ``mappings/fhir/extensions.csv``) but whose value type
  or sub-extensions the definition does not allow; and an extension under the project's canonical base with no
  definition at all. Extensions of other publishers are not judged.

:func:`project_rule_errors` walks a whole document. For trialexport's own outputs the element walk of
:mod:`.elements` decides both rules instead when that is provably the same (:func:`.validate.walk_decides`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from trialexport.diagnostics import Diagnostic, error
from trialexport.formats.fhir.mapping import tables

from .pieces import escape

MAX_STRING = 1_048_576


def _value_key(value_type: str) -> str:
    """The JSON name of an extension's value of this type (``string`` -> ``valueString``)."""
    return f"value{value_type[0].upper()}{value_type[1:]}"


@dataclass(frozen=True, slots=True)
class _Rule:
    """What the definition of one extension allows, in JSON names."""

    name: str
    value: str  # the one value[x] key of a simple extension ("" for a complex one)
    parts: dict[str, str]  # complex: sub-extension url -> its one value[x] key


@cache
def _definitions() -> tuple[dict[str, _Rule], str]:
    rules = {url: _Rule(d.name, _value_key(d.value_type) if d.value_type else "",
                        {p[0]: _value_key(p[1]) for p in d.parts}) for url, d in tables.extension_by_url().items()}
    return rules, tables.package_info()["canonical"] + "/"


def _value_keys(ext: dict[str, Any]) -> list[str]:
    return [k for k in ext if k.startswith("value")]


def check_extension(ext: dict[str, Any], path: str, found: list[Diagnostic]) -> None:
    """Append to ``found`` the ``FHIR-EXTENSION`` findings of one extension object at JSON pointer ``path``."""
    url = ext.get("url")
    if not isinstance(url, str):
        return
    defs, base = _definitions()
    d = defs.get(url)
    if d is None:
        if url.startswith(base):
            found.append(error("FHIR-EXTENSION", f"extension {url!r} has no definition in the project's package",
                               path=path))
        return
    if d.value:
        if _value_keys(ext) != [d.value] or "extension" in ext:
            found.append(error("FHIR-EXTENSION", f"extension {d.name} takes {d.value} (its definition), got "
                                                 f"{', '.join(_value_keys(ext) + list(ext.keys() & {'extension'}))}",
                               path=path))  # fmt: skip
        return
    if _value_keys(ext):
        found.append(error("FHIR-EXTENSION", f"extension {d.name} is complex: no value[x] allowed", path=path))
    subs = ext.get("extension")
    for i, sub in enumerate(subs if isinstance(subs, list) else []):
        key = sub.get("url") if isinstance(sub, dict) else None
        where = f"{path}/extension/{i}"
        want = d.parts.get(key) if isinstance(key, str) else None
        if want is None:
            found.append(error("FHIR-EXTENSION", f"extension {d.name} defines no part {key!r}", path=where))
            continue
        if _value_keys(sub) != [want]:
            got = ", ".join(_value_keys(sub)) or "no value"
            message = f"part {key!r} of extension {d.name} takes {want} (its definition), got {got}"
            found.append(error("FHIR-EXTENSION", message, path=where))


_VERDICTS: dict[tuple[Any, ...], bool] = {}
_MAX_VERDICTS = 4096


def _parts_key(subs: list[Any]) -> tuple[Any, ...]:
    """What :func:`check_extension` reads of the items of a complex extension's ``extension`` list: whether each is
    an object, its ``url`` when that is a string (any other ``url``, like a non-object, names no part: ``None``),
    and its property names in order."""
    out: list[Any] = []
    for sub in subs:
        if isinstance(sub, dict):
            url = sub.get("url")
            out.append((url if isinstance(url, str) else None, tuple(sub)))
        else:
            out.append(None)
    return tuple(out)


def extension_ok(ext: dict[str, Any]) -> bool:
    """Whether :func:`check_extension` finds nothing wrong with ``ext`` (its own rule; extensions nested in its parts
    are judged on their own).

    Remembered per key holding everything :func:`check_extension` reads: the ``url``, the property names in order
    (which start with ``value``, whether ``extension`` is one) and, when ``extension`` is a list, :func:`_parts_key`
    of it. Equal keys give equal verdicts; the findings themselves are always made by :func:`check_extension`."""
    url = ext.get("url")
    if not isinstance(url, str):
        return True
    subs = ext.get("extension")
    key = (url, tuple(ext), _parts_key(subs) if isinstance(subs, list) else None)
    verdict = _VERDICTS.get(key)
    if verdict is None:
        scratch: list[Diagnostic] = []
        check_extension(ext, "", scratch)
        verdict = not scratch
        if len(_VERDICTS) < _MAX_VERDICTS:
            _VERDICTS[key] = verdict
    return verdict


def _suspect(node: Any) -> bool:
    """Whether ``node`` breaks a rule somewhere: a quick walk without paths (most documents break none); the findings
    are then made with their paths by :func:`project_rule_errors`."""
    scratch: list[Diagnostic] = []
    stack = [node]
    push, pop = stack.append, stack.pop
    while stack:
        item = pop()
        if isinstance(item, dict):
            if "extension" in item or "modifierExtension" in item:
                for key in ("extension", "modifierExtension"):
                    exts = item.get(key)
                    for ext in exts if isinstance(exts, list) else ():
                        if isinstance(ext, dict):
                            check_extension(ext, "", scratch)
                if scratch:
                    return True
            item = item.values()
        for value in item:  # the values of a dict, or the items of a list
            if isinstance(value, (dict, list)):
                push(value)
            elif isinstance(value, str) and len(value) > MAX_STRING:
                return True
    return False


def project_rule_errors(doc: Any) -> list[Diagnostic]:
    """``FHIR-STRING-LIMIT`` and ``FHIR-EXTENSION`` findings of a resource or Bundle (JSON pointers into ``doc``)."""
    if not _suspect(doc):
        return []
    found: list[Diagnostic] = []
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, (dict, list)):
                    if key in ("extension", "modifierExtension") and isinstance(value, list):
                        for i, ext in enumerate(value):
                            if isinstance(ext, dict):
                                check_extension(ext, f"{path}/{key}/{i}", found)
                    stack.append((value, f"{path}/{escape(key)}"))
                elif isinstance(value, str) and len(value) > MAX_STRING:
                    found.append(error("FHIR-STRING-LIMIT", f"string of {len(value):,} characters: FHIR strings SHALL "
                                                            f"NOT exceed {MAX_STRING:,}", path=f"{path}/{escape(key)}"))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, (dict, list)):
                    stack.append((item, f"{path}/{i}"))
                elif isinstance(item, str) and len(item) > MAX_STRING:
                    found.append(error("FHIR-STRING-LIMIT", f"string of {len(item):,} characters: FHIR strings SHALL "
                                                            f"NOT exceed {MAX_STRING:,}", path=f"{path}/{i}"))
    found.sort(key=lambda d: d.path or "")
    return found
