"""Validation of SDTM Dataset-JSON documents: the official Dataset-JSON 1.1 schema, then named SDTM conformance rules
(codes in ``diagnostic-codes.csv``): SDTM-LENGTH and SDTM-TYPE (variable limits and types of
``sdtm-variables.csv``), SDTM-CT (values of non-extensible CT codelists), SDTM-TSSEQ (TSSEQ unique per parameter),
SDTM-TSVAL-NULL (a TS value or its null flavour), SDTM-TS-REQUIRED (``sdtm-ts-required.csv``)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from trialexport.cdisc import terminology
from trialexport.diagnostics import Diagnostic, Severity, error
from trialexport.mapkit.tables import load_table
from trialexport.resources import schema_path

from .tables import DOMAINS, variables


@cache
def _schema() -> Any:
    return json.loads(schema_path("dataset-json-1.1", "dataset.schema.json").read_text(encoding="utf-8"))


@cache
def _schema_validator() -> Any:
    """The reference engine (python ``jsonschema``): it words every finding."""
    import jsonschema

    return jsonschema.validators.validator_for(_schema())(_schema())


@cache
def _fast_validator() -> Any:
    """``jsonschema_rs`` for the yes/no answer (CDISC's 51-row TS example: 0.003 ms vs 1.2 ms); the reference
    engine words the findings."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(_schema())


def schema_errors(doc: Any, source: str | None = None) -> list[Diagnostic]:
    """SDTM-SCHEMA findings of ``doc`` against the Dataset-JSON 1.1 schema, in path order.

    A document the fast engine accepts is checked no further; any other is given to the reference engine, so the
    findings are the reference engine's (tests/test_sdtm_schema_parity.py: same findings on broken documents)."""
    try:
        if _fast_validator().is_valid(doc):
            return []
    except ValueError:  # a value that is not JSON: the reference engine says where
        pass
    return reference_schema_errors(doc, source)


def reference_schema_errors(doc: Any, source: str | None = None) -> list[Diagnostic]:
    """SDTM-SCHEMA findings of the reference engine alone, in path order."""
    return [error("SDTM-SCHEMA", f"Dataset-JSON 1.1 schema: {e.message}", file=source,
                  path=_where(*e.absolute_path) or "$")
            for e in sorted(_schema_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]


@cache
def _ct_values(codelist: str) -> frozenset[str] | None:
    """The submission values of a non-extensible codelist (``None``: extensible or not vendored)."""
    found = terminology.codelists().get(codelist)
    if found is None or found.get("extensible", "").lower() not in ("false", "no"):
        return None
    return frozenset(terminology.terms(codelist).values())


def _where(*parts: str | int) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")


def validate_dataset(doc: Any, source: str | None = None) -> list[Diagnostic]:
    """Schema findings (SDTM-SCHEMA), then, for a dataset of a known domain, the SDTM rules."""
    out = schema_errors(doc, source)
    if out or not isinstance(doc, dict) or doc.get("name") not in DOMAINS:
        return out
    names = [c["name"] for c in doc["columns"]]
    rows = [dict(zip(names, r, strict=False)) for r in doc.get("rows", [])]
    out += _variable_rules(doc["name"], rows, names, source)
    if doc["name"] == "TS":
        out += _ts_rules(rows, source)
    return out


def _variable_rules(domain: str, rows: list[dict[str, Any]], names: list[str], source: str | None) -> list[Diagnostic]:
    spec = {v.name: v for v in variables(domain)}
    out = []
    for i, row in enumerate(rows):
        for name, value in row.items():
            v = spec.get(name) or (spec["TSVAL"] if name.startswith("TSVAL") and name[5:].isdigit() else None)
            if v is None or value is None:
                continue
            at = _where("rows", i, names.index(name))
            if v.type == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
                out.append(error("SDTM-TYPE", f"{name} must be an integer, not {value!r}", file=source, path=at))
            elif v.type == "string" and not isinstance(value, str):
                out.append(error("SDTM-TYPE", f"{name} must be text, not {value!r}", file=source, path=at))
            elif v.max_length is not None and len(value) > v.max_length:
                out.append(error("SDTM-LENGTH", f"{name} has {len(value)} characters; SDTM allows {v.max_length}",
                                 file=source, path=at))
            elif v.codelist and (allowed := _ct_values(v.codelist)) is not None and value not in allowed:
                out.append(error("SDTM-CT", f"{name} {value!r} is not a term of the non-extensible CDISC codelist "
                                 f"{v.codelist} ({terminology.release()})", file=source, path=at))
    return out


def _ts_rules(rows: list[dict[str, Any]], source: str | None) -> list[Diagnostic]:
    out = []
    seen: set[tuple[Any, Any]] = set()
    for i, row in enumerate(rows):
        key = (row.get("TSPARMCD"), row.get("TSSEQ"))
        if key in seen:
            out.append(error("SDTM-TSSEQ", f"TSSEQ {key[1]} repeats within TSPARMCD {key[0]}", file=source,
                             path=_where("rows", i)))
        seen.add(key)
        if not row.get("TSVAL") and not row.get("TSVALNF"):
            out.append(error("SDTM-TSVAL-NULL", f"{key[0]}: TSVAL is empty and TSVALNF gives no null flavour",
                             file=source, path=_where("rows", i)))
    present = {r.get("TSPARMCD") for r in rows}
    stype = next((r.get("TSVAL") for r in rows if r.get("TSPARMCD") == "STYPE"), None)
    for req in load_table("cdisc", "sdtm-ts-required.csv"):
        if req["tsparmcd"] not in present and (not req["when"] or req["when"] == stype):
            severity: Severity = "warning" if req["severity"] == "warning" else "error"
            out.append(Diagnostic(severity, "SDTM-TS-REQUIRED", f"required TS parameter {req['tsparmcd']} is "
                                  "missing (neither valued nor null-flavoured)", file=source, path="rows"))
    return out
