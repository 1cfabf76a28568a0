"""Fragment matching for the cross-format matrix test: small paths into FHIR Bundles and ODM documents.

FHIR paths are a small subset of FHIRPath, evaluated against a Bundle::

    ResearchStudy.phase.coding                      resources of a type, then elements (lists flatten)
    Location.where(name='BWH').address.city         keep items whose sub-path equals a literal
    ResearchStudy.sponsor.resolve().name            follow a Reference to the Bundle entry it names
    ResearchStudy.extension('http://...').extension('state').valueCodeableConcept
    ResearchStudy.comparisonGroup[1].name           one item of the collection (0-based)

ODM fragments are XPath 1.0 with the prefix ``o`` bound to the document's ODM namespace.
Trial Summary (TS) parameters are read the way each ODM version carries them:

* 1.3.2: ``ReferenceData`` ItemData whose ItemDef has ``Alias Context="CDISC:TSPARMCD"`` naming the parameter;
  the value's C-code is the ``nci:ExtCodeID`` Alias of the matching CodeListItem of the ItemDef's CodeList.
* 2.0: ``StudySummary/StudyParameter[@ShortName]/ParameterValue/@Value`` and its ``Coding/@Code``.

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
TSPARMCD_ALIAS = "CDISC:TSPARMCD"


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


def ts_values(root: etree._Element, version: str, param: str) -> list[tuple[str, str | None]]:
    """(value, value C-code or None) of a TS parameter, in document order."""
    ns = {"o": ODM_NS[version]}
    out: list[tuple[str, str | None]] = []
    if version == "2.0":
        expr = f"//o:StudySummary/o:StudyParameter[@ShortName='{param}']/o:ParameterValue"
        for pv in root.xpath(expr, namespaces=ns):
            codes = pv.xpath("o:Coding/@Code", namespaces=ns)
            out.append((pv.get("Value"), codes[0] if codes else None))
        return out
    defs = root.xpath(f"//o:ItemDef[o:Alias[@Context='{TSPARMCD_ALIAS}' and @Name='{param}']]", namespaces=ns)
    codelists = {d.get("OID"): d.xpath("o:CodeListRef/@CodeListOID", namespaces=ns) for d in defs}
    for data in root.xpath("//o:ReferenceData//o:ItemData", namespaces=ns):
        oid = data.get("ItemOID")
        if oid not in codelists:
            continue
        value, code = data.get("Value"), None
        for cl in codelists[oid]:
            hits = root.xpath(f"//o:CodeList[@OID='{cl}']/o:CodeListItem[@CodedValue=$v]/o:Alias"
                              f"[@Context='{NCI_ALIAS}']/@Name", namespaces=ns, v=value)
            code = hits[0] if hits else None
        out.append((value, code))
    return out


def ts_parameter(root: etree._Element, version: str, param: str) -> list[tuple[str | None, str | None]]:
    """(TSPARM name, TSPARMCD C-code) of each definition of a TS parameter (one per ItemDef / StudyParameter)."""
    ns = {"o": ODM_NS[version]}
    if version == "2.0":
        params = root.xpath(f"//o:StudySummary/o:StudyParameter[@ShortName='{param}']", namespaces=ns)
        return sorted({(p.get("Term"), (p.xpath("o:Coding/@Code", namespaces=ns) or [None])[0]) for p in params},
                      key=str)
    defs = root.xpath(f"//o:ItemDef[o:Alias[@Context='{TSPARMCD_ALIAS}' and @Name='{param}']]", namespaces=ns)
    # the coded item carries the parameter's C-code; a ".TXT" twin for uncoded registry text does not
    coded = [d for d in defs if d.xpath(f"o:Alias[@Context='{NCI_ALIAS}']", namespaces=ns)]
    return sorted({(d.get("Name"), d.xpath(f"o:Alias[@Context='{NCI_ALIAS}']/@Name", namespaces=ns)[0])
                   for d in coded}, key=str)


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
