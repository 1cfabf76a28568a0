"""The ODM mapping context (XML-safe text) and the ODM tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from trialexport.cdisc.context import CdiscContext
from trialexport.mapkit.crosswalk import system
from trialexport.mapkit.tables import load_table
from trialexport.mapkit.textclean import replace_forbidden

_OID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@cache
def odm_table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``mappings/odm/<name>.csv``."""
    return load_table("odm", f"{name}.csv")


@cache
def code_system(name: str) -> str:
    """System URI for ODM 2.0 Coding: ``mappings/odm/code-systems.csv``, else the crosswalk systems table."""
    for row in odm_table("code-systems"):
        if row["name"] == name:
            return row["system"]
    return system("*", name)


def oid_part(value: str) -> str:
    """A readable OID fragment: anything outside ``[A-Za-z0-9._-]`` becomes ``_``."""
    return _OID_UNSAFE.sub("_", value).strip("_") or "X"


@dataclass(kw_only=True)
class Ctx(CdiscContext):
    """One trial mapped to one ODM document: text is made XML-safe (forbidden characters reported)."""

    def text(self, value: Any, path: str) -> str:
        """``value`` as XML-safe text; forbidden characters become U+FFFD and are reported (MAP-XML-CHAR)."""
        s, bad = replace_forbidden(value if isinstance(value, str) else str(value))
        if bad:
            self.report("MAP-XML-CHAR", f"characters XML 1.0 forbids replaced with U+FFFD: {', '.join(bad)}", path)
        return s
