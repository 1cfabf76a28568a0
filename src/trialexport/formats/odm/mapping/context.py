"""The ODM mapping context: XML-safe text, the plan being filled and the model paths carried so far."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from trialexport.cdisc.context import CdiscContext
from trialexport.mapkit.crosswalk import system
from trialexport.mapkit.textclean import FORBIDDEN, replace_forbidden
from trialexport.mapkit.transforms import Call

from .plan import Plan
from .tables import setting

_OID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@cache
def code_system(name: str) -> str:
    """System URI for ODM 2.0 Coding: ``mappings/odm/code-systems.csv``, else the crosswalk systems table."""
    try:
        return setting("code-systems", "name", name)["system"]
    except KeyError:
        return system("*", name)


def oid_part(value: str) -> str:
    """A readable OID fragment: anything outside ``[A-Za-z0-9._-]`` becomes ``_``."""
    return _OID_UNSAFE.sub("_", value).strip("_") or "X"


@dataclass(kw_only=True)
class Ctx(CdiscContext):
    """One trial mapped to one ODM document: text is made XML-safe (forbidden characters reported)."""

    plan: Plan = field(default_factory=lambda: Plan("X", ""))
    source_date_epoch: int | None = None
    memo: dict[Any, Any] = field(default_factory=dict)  # what a transform works out once per document

    def text(self, value: Any, path: str) -> str:
        """``value`` as XML-safe text; forbidden characters become U+FFFD and are reported (MAP-XML-CHAR)."""
        s, bad = replace_forbidden(value if isinstance(value, str) else str(value))
        if bad:
            self.report("MAP-XML-CHAR", f"characters XML 1.0 forbids replaced with U+FFFD: {', '.join(bad)}", path)
        return s

    def text_of(self, value: Any, call: Call) -> str:
        """:meth:`text` of a row's value; the model path (for the report) is only worked out when needed."""
        if isinstance(value, str) and FORBIDDEN.search(value) is None:
            return value
        return self.text(value, call.path)
