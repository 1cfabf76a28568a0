"""Trial Summary records back into the model, by the same table (``ts-parameters.csv``) that wrote them.

Each parameter is read through the first row that names it: the row's source path says where the value goes, and
the inverse of its transform (:data:`READBACK`) turns the record into the model value. A coded value is read from the
registry value kept beside the CDISC term; derived parameters (counts, control type, roles, countries) have no
inverse and are skipped: what they summarise is read from where ODM carries it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from trialexport.mapkit.durations import units
from trialexport.mapkit.pathexpr import compile_path, parse_condition
from trialexport.mapkit.tables import load_table

from . import terminology

Record = dict[str, str]  # SDTM TS variables (TSPARMCD, TSSEQ, TSGRPID, TSVAL, TSVALCD, TSVCDREF ...) and REGVAL


def _registry(rec: Record) -> Any:
    return rec.get("REGVAL") or None


def _boolean(rec: Record) -> bool | None:
    value = rec.get("REGVAL")
    return None if value not in ("true", "false") else value == "true"


def _integer(rec: Record) -> int | None:
    value = rec.get("TSVAL", "")
    return int(value) if value.isdigit() else None


_ISO = re.compile(r"^P(T?)(\d+)([YMWDHS])$")


@cache
def _designators() -> dict[tuple[str, str], str]:
    return {(r["iso8601_prefix"].removeprefix("P"), r["iso8601_designator"]): u for u, r in units().items()}


def parse_duration(text: str) -> tuple[int, str] | None:
    """``(amount, unit)`` of an ISO 8601 duration of one unit (``P18Y`` -> ``(18, "years")``)."""
    m = _ISO.match(text or "")
    unit = _designators().get((m[1], m[3])) if m else None
    return (int(m[2]), unit) if m and unit else None


def _age(rec: Record) -> dict[str, Any] | None:
    found = parse_duration(rec.get("TSVAL", ""))
    return {"value": found[0], "unit": found[1]} if found else None


def _duration_text(rec: Record) -> str | None:
    found = parse_duration(rec.get("TSVAL", ""))
    return f"{found[0]} {found[1].capitalize()}" if found else None


def _date(rec: Record) -> dict[str, str] | None:
    return {"date": rec["TSVAL"], "type": "ACTUAL"} if rec.get("TSVAL") else None


def _phone(rec: Record) -> dict[str, str] | None:
    number, _, ext = (rec.get("TSVAL") or "").partition(" ext. ")
    return ({"phone": number, "phone_ext": ext} if ext else {"phone": number}) if number else None


@cache
def _registries() -> dict[str, str]:
    return {r["registry"]: r["type"] for r in load_table("cdisc", "registries.csv")}


def _secondary_id(rec: Record) -> dict[str, str] | None:
    """A registry number; its type and registry from TSVCDREF where the document keeps it (1.3.2)."""
    reference = rec.get("TSVCDREF", "")
    if not reference:
        return {"id": rec["TSVAL"]}
    kind = _registries().get(reference, "REGISTRY")
    return {"id": rec["TSVAL"], "type": kind, **({"domain": reference} if kind == "REGISTRY" else {})}


def _phases(rec: Record) -> list[str] | None:
    value = rec.get("REGVAL")
    return value.split("|") if value else None


def _study_type(rec: Record) -> Any:
    return rec.get("REGVAL") or None


def _text(rec: Record) -> str | None:
    return rec.get("TSVAL") or None


READBACK: dict[str, Callable[[Record], Any]] = {
    "text": _text, "integer": _integer, "coded": _registry, "coded_known": _registry, "boolean": _boolean,
    "phase": _phases, "study_type": _study_type, "iso_duration": _age, "text_duration": _duration_text,
    "study_date": _date, "registry_id": _text, "secondary_registry_id": _secondary_id, "condition": _text,
    "phone": _phone,
}


@cache
def _rows() -> dict[str, tuple[dict[str, str], ...]]:
    """The rows of each parameter that give its values (fallback rows give null flavours or defaults: not read)."""
    out: dict[str, list[dict[str, str]]] = {}
    for r in load_table("cdisc", "ts-parameters.csv"):
        if not r["tsparmcd"].endswith("?"):
            out.setdefault(r["tsparmcd"], []).append(r)
    return {k: tuple(v) for k, v in out.items()}


def _row(rec: Record) -> dict[str, str] | None:
    """The row a record came from: of several rows of one parameter, the one naming the record's TSVCDREF."""
    rows = _rows().get(rec.get("TSPARMCD", ""), ())
    if len(rows) > 1:
        named = {terminology.reference(r["reference"]).name: r for r in rows if r["reference"]}
        plain = [r for r in rows if not r["reference"]]
        return named.get(rec.get("TSVCDREF", "")) or (plain[0] if plain else None)
    return rows[0] if rows else None


def _place(data: dict[str, Any], path: str, index: int, value: Any) -> None:
    """Put ``value`` at model ``path`` (``a[].b``: in item ``index`` of list ``a``; a dict is merged)."""
    node: Any = data
    tokens = compile_path(path)
    for n, (key, is_list) in enumerate(tokens):
        last = n == len(tokens) - 1
        if not is_list:
            if not last:
                node = node.setdefault(key, {})
            elif isinstance(value, dict) and isinstance(node.get(key), dict):
                node[key].update(value)
            else:
                node[key] = value
            continue
        seq = node.setdefault(key, [])
        while len(seq) <= index:
            seq.append({} if not last or isinstance(value, dict) else None)
        if not last:
            node = seq[index]
        elif isinstance(value, dict) and isinstance(seq[index], dict):
            seq[index].update(value)
        else:
            seq[index] = value


def read_ts(records: list[Record]) -> dict[str, Any]:
    """The model fields the TS records carry (a plain dict in the model's shape)."""
    data: dict[str, Any] = {}
    seen: dict[int, int] = {}
    for rec in records:
        row = _row(rec)
        fn = READBACK.get(row["transform"].partition(":")[0]) if row else None
        if row is None or fn is None or (rec.get("TSVALNF") and not rec.get("REGVAL")):
            continue
        pseudo = row["transform"].partition(":")[2]
        if row["transform"].startswith("study_type") and pseudo and rec.get("REGVAL") == pseudo:
            _place(data, "design.study_type", 0, "OBSERVATIONAL")  # the patient-registry pseudo value
            _place(data, "design.patient_registry", 0, True)
            continue
        value = fn(rec)
        if value is None:
            continue
        path = row["source"].split("+")[0].partition("{")[0]
        if isinstance(value, list) and path.endswith("[]"):  # a whole list (the phases)
            _place(data, path[:-2], 0, value)
            continue
        group = rec.get("TSGRPID", "")
        if group:
            index = int(re.sub(r"\D", "", group) or 1) - 1
        else:
            index = seen.get(id(row), 0)
            seen[id(row)] = index + 1
        condition = parse_condition(row["when"])
        if condition and condition[1] == "=" and condition[2] and "[]" not in condition[0]:
            _place(data, condition[0], 0, condition[2])  # ACTSUB: the enrollment is ACTUAL
        if row["transform"] == "condition" and rec.get("TSVALCD"):
            data.setdefault("conditions", {}).setdefault("condition_mesh", []).append(
                {"id": rec["TSVALCD"], "term": value})
        _place(data, path, index, value)
    return data
