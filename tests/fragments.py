"""Fragment matching for the cross-format matrix test: small paths into FHIR Bundles and ODM documents.

FHIR paths are a small subset of FHIRPath, evaluated against a Bundle::

    ResearchStudy.phase.coding                      resources of a type, then elements (lists flatten)
    Location.where(name='BWH').address.city         keep items whose sub-path equals a literal
    ResearchStudy.sponsor.resolve().name            follow a Reference to the Bundle entry it names
    ResearchStudy.extension('http://...').extension('state').valueCodeableConcept
    ResearchStudy.comparisonGroup[1].name           one item of the collection (0-based)

ODM fragments are XPath 1.0 with the prefix ``o`` bound to the document's ODM namespace.
Trial Summary (TS) parameters are read the way each ODM version carries them:

* 1.3.2: one ``ReferenceData/ItemGroupData`` per TS record, its ItemData named by their ItemDef's ``SDSVarName``
  (TSPARMCD, TSVAL, TSVALNF, TSVALCD, TSVCDREF ...); the parameter's C-code is the ``nci:ExtCodeID`` Alias of its
  item in the TSPARMCD code list (C66738).
* 2.0: one ``StudySummary/StudyParameter`` per record: ``@ShortName``, ``@Term``, ``ParameterValue/@Value`` and the
  value's Codings (CDISC CT: TSVALCD; ISO 21090 NullFlavor: TSVALNF); the StudyParameter's own Coding: its C-code.

Comparison operators: ``equals`` (the whole ordered result), ``contains`` (every expected item is found, each
dict as a JSON subset, each other value by equality; order ignored) and ``empty`` (nothing found).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree

ODM_NS = {"1.3.2": "http://www.cdisc.org/ns/odm/v1.3", "2.0": "http://www.cdisc.org/ns/odm/v2.0"}
NCI_ALIAS = "nci:ExtCodeID"
CDISC_SYSTEM = "https://www.cdisc.org/standards/terminology"  # ODM 2.0 Coding of CDISC CT terms
NULL_FLAVOR_SYSTEM = "urn:oid:2.16.840.1.113883.5.1008"  # ISO 21090 / HL7 NullFlavor


class PathError(ValueError):
    """A fragment path that cannot be parsed or applied (a mistake in the case, not in the output)."""


# ---------------------------------------------------------------- FHIR paths

def _split(path: str) -> list[str]:
    """Split a path on dots outside quotes and parentheses."""
    steps, depth, quote, cur = [], 0, False, ""
    for ch in path:
        if ch == "'" and depth:
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        if ch == "." and not depth and not quote:
            steps.append(cur)
            cur = ""
        else:
            cur += ch
    if depth or quote or not cur:
        raise PathError(f"unbalanced or empty step in path {path!r}")
    return [*steps, cur]


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    raise PathError(f"not a literal: {text!r} (use 'text', true, false or a number)")


def _flatten(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, list):
            out.extend(v)
        elif v is not None:
            out.append(v)
    return out


STEP = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<arg>.*)\))?(?:\[(?P<index>\d+)\])?$", re.S)


def fhir_path(bundle: dict[str, Any], path: str) -> list[Any]:
    """Evaluate a FHIRPath-subset ``path`` (first step: a resource type) against a FHIR ``bundle``."""
    by_url = {e.get("fullUrl"): e["resource"] for e in bundle.get("entry", [])}
    steps = _split(path)
    first = steps[0]
    if not first[:1].isupper():
        raise PathError(f"path must start with a resource type: {path!r}")
    items = [e["resource"] for e in bundle.get("entry", []) if e["resource"].get("resourceType") == first]
    for step in steps[1:]:
        items = _step(items, step, by_url, path)
    return items


def _step(items: list[Any], step: str, by_url: dict[str | None, Any], path: str) -> list[Any]:
    m = STEP.match(step)
    if not m:
        raise PathError(f"cannot read step {step!r} in {path!r}")
    name, arg, index = m.group("name"), m.group("arg"), m.group("index")
    if arg is None:
        out = _flatten(i.get(name) for i in items if isinstance(i, dict))
    elif name == "where":
        sub, _, lit = arg.partition("=")
        if not lit:
            raise PathError(f"where() needs path=literal: {step!r}")
        want = _literal(lit)
        subpath = _split(sub.strip())
        out = [i for i in items if want in _eval_relative(i, subpath, by_url, path)]
    elif name == "extension":
        url = _literal(arg)
        out = [x for x in _flatten(i.get("extension") for i in items if isinstance(i, dict)) if x.get("url") == url]
    elif name == "resolve" and not arg:
        out = []
        for ref in items:
            target = by_url.get(ref.get("reference")) if isinstance(ref, dict) else None
            if target is None:
                raise PathError(f"resolve(): {ref!r} names no entry of the Bundle ({path!r})")
            out.append(target)
    elif name == "first" and not arg:
        out = items[:1]
    else:
        raise PathError(f"unknown function {name}() in {path!r}")
    if index is not None:
        n = int(index)
        out = out[n : n + 1]
    return out


def _eval_relative(item: Any, steps: list[str], by_url: dict[str | None, Any], path: str) -> list[Any]:
    items = [item]
    for step in steps:
        items = _step(items, step, by_url, path)
    return items


# ---------------------------------------------------------------- ODM

def odm_xpath(root: etree._Element, version: str, expr: str) -> list[Any]:
    """Strings (attribute values, text nodes) or a number from an XPath over an ODM document."""
    try:
        got = root.xpath(expr, namespaces={"o": ODM_NS[version]})
    except etree.XPathError as exc:
        raise PathError(f"bad XPath {expr!r}: {exc}") from exc
    if isinstance(got, float):
        return [int(got) if got.is_integer() else got]
    if isinstance(got, (str, bool)):
        return [got]
    out = []
    for node in got:
        if isinstance(node, etree._Element):
            raise PathError(f"XPath {expr!r} selects elements; select an attribute or text() instead")
        out.append(str(node))
    return out


def ts_records(root: etree._Element, version: str) -> list[dict[str, str | None]]:
    """Every TS record as SDTM TS variables (TSPARMCD, TSPARM, TSVAL, TSVALNF, TSVALCD, TSVCDREF) plus PARMCODE, the
    C-code of the parameter, in document order."""
    ns = {"o": ODM_NS[version]}
    out: list[dict[str, str | None]] = []
    if version == "2.0":
        for sp in root.xpath("//o:StudySummary/o:StudyParameter", namespaces=ns):
            pv = sp.find("o:ParameterValue", namespaces=ns)
            codings = {c.get("System"): c.get("Code") for c in pv.findall("o:Coding", namespaces=ns)}
            out.append({"TSPARMCD": sp.get("ShortName"), "TSPARM": sp.get("Term"), "TSVAL": pv.get("Value") or None,
                        "TSVALNF": codings.get(NULL_FLAVOR_SYSTEM), "TSVALCD": codings.get(CDISC_SYSTEM),
                        "TSVCDREF": "CDISC CT" if CDISC_SYSTEM in codings else None,
                        "PARMCODE": (sp.xpath(f"o:Coding[@System='{CDISC_SYSTEM}']/@Code", namespaces=ns)
                                     or [None])[0]})
        return out
    names = {d.get("OID"): d.get("SDSVarName") for d in root.xpath("//o:ItemDef[@SDSVarName]", namespaces=ns)}
    parm_codes = {i.get("CodedValue"): i.xpath(f"o:Alias[@Context='{NCI_ALIAS}']/@Name", namespaces=ns)[0]
                  for i in root.xpath("//o:CodeList[o:Alias[@Name='C66738']]/o:CodeListItem", namespaces=ns)}
    for group in root.xpath("//o:ReferenceData/o:ItemGroupData", namespaces=ns):
        rec: dict[str, str | None] = {names.get(d.get("ItemOID")): d.get("Value")
                                      for d in group.findall("o:ItemData", namespaces=ns)}
        rec["PARMCODE"] = parm_codes.get(rec.get("TSPARMCD") or "")
        out.append(rec)
    return out


def ts_values(root: etree._Element, version: str, param: str) -> list[tuple[str | None, str | None, str | None]]:
    """(TSVAL, its CDISC CT C-code or None, TSVALNF or None) of a TS parameter, in record order."""
    return [(r.get("TSVAL"), r.get("TSVALCD") if r.get("TSVCDREF") == "CDISC CT" else None, r.get("TSVALNF"))
            for r in ts_records(root, version) if r.get("TSPARMCD") == param]


def ts_parameter(root: etree._Element, version: str, param: str) -> list[tuple[str | None, str | None]]:
    """(TSPARM name, TSPARMCD C-code) of the records of a TS parameter (each pair once)."""
    return sorted({(r.get("TSPARM"), r.get("PARMCODE")) for r in ts_records(root, version)
                   if r.get("TSPARMCD") == param}, key=str)


def codelist_items(root: etree._Element, version: str, item_oid: str) -> list[tuple[str, str | None]]:
    """(CodedValue, C-code) of the code list an ItemDef refers to (1.3.2 Alias nci:ExtCodeID, 2.0 Coding)."""
    ns = {"o": ODM_NS[version]}
    out = []
    for cl in root.xpath(f"//o:ItemDef[@OID='{item_oid}']/o:CodeListRef/@CodeListOID", namespaces=ns):
        for item in root.xpath(f"//o:CodeList[@OID='{cl}']/o:CodeListItem", namespaces=ns):
            if version == "2.0":
                codes = item.xpath("o:Coding/@Code", namespaces=ns)
            else:
                codes = item.xpath(f"o:Alias[@Context='{NCI_ALIAS}']/@Name", namespaces=ns)
            out.append((item.get("CodedValue"), codes[0] if codes else None))
    return out


# ---------------------------------------------------------------- comparison

def subset(expected: Any, got: Any) -> bool:
    """True when ``expected`` is a JSON subset of ``got`` (dict keys recursively; list items each found)."""
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(k in got and subset(v, got[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(got, list) and all(any(subset(e, g) for g in got) for e in expected)
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(expected) is type(got) and expected == got
    return expected == got


def compare(op: str, expected: Any, got: list[Any]) -> bool:
    """Apply a comparison operator; ``got`` is always the list a path produced."""
    if op == "equals":
        if len(expected) != len(got):
            return False
        return all(subset(e, g) and subset(g, e) for e, g in zip(expected, got, strict=True))
    if op == "contains":
        pool = list(got)
        for e in expected:
            hit = next((i for i, g in enumerate(pool) if subset(e, g)), None)
            if hit is None:
                return False
            pool.pop(hit)
        return True
    if op == "empty":
        return bool(expected) == (not got)
    raise PathError(f"unknown operator {op!r} (equals, contains, empty)")


OPERATORS = ("equals", "contains", "empty")


def check(where: str, fragment: dict[str, Any], evaluate: Callable[[str], list[Any]], key: str) -> str | None:
    """Check one fragment; None when it holds, else a readable failure message."""
    ops = [op for op in OPERATORS if op in fragment]
    if len(ops) != 1 or not fragment.get("rule"):
        raise PathError(f"{where}: a fragment needs exactly one of {OPERATORS} and a 'rule': {fragment!r}")
    op = ops[0]
    expected = fragment[op]
    got = evaluate(fragment[key])
    if compare(op, expected, got):
        return None
    return (f"{where} · {fragment[key]} ({op})\n    rule:     {fragment['rule']}\n"
            f"    expected: {expected!r}\n    got:      {got!r}")
