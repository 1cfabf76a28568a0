"""A FHIR Bundle split by ``--max-entries`` is read as one record: ``<stem>.json`` with its ``<stem>.part-2.json``,
``<stem>.part-3.json``, ... beside it (the parts' entries joined, in order). A later part whose part 1 is there is
read with it, not on its own."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

_PART = re.compile(r"^(?P<stem>.+)\.part-(?P<k>\d+)\.json$")


def read_with_part_one(path: Path) -> bool:
    """Whether ``path`` is part 2, 3, ... of a split Bundle whose part 1 is beside it (so it is read with that)."""
    m = _PART.match(path.name)
    return bool(m and int(m["k"]) >= 2 and (path.parent / f"{m['stem']}.json").is_file())


def later_parts(path: Path) -> list[Path]:
    """Parts 2, 3, ... of the split Bundle whose part 1 is ``path`` (consecutive numbers; none: not split)."""
    if not path.name.endswith(".json") or _PART.match(path.name):
        return []
    stem = path.name.removesuffix(".json")
    found = []
    k = 2
    while (part := path.parent / f"{stem}.part-{k}.json").is_file():
        found.append(part)
        k += 1
    return found


def joined(first: bytes, parts: list[Path]) -> bytes:
    """Part 1's Bundle with the entries of the later parts appended (``first`` returned as is if not a Bundle)."""
    try:
        bundle = orjson.loads(first)
        if not (isinstance(bundle, dict) and bundle.get("resourceType") == "Bundle"):
            return first
        entries = list(bundle.get("entry") or [])
        for part in parts:
            more = orjson.loads(part.read_bytes())
            entries.extend(more.get("entry") or [] if isinstance(more, dict) else [])
    except (orjson.JSONDecodeError, OSError):
        return first  # a broken part: read part 1 alone; the reader reports what is missing
    bundle["entry"] = entries
    return orjson.dumps(bundle)
