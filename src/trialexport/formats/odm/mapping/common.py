"""What both ODM serializers share: the root attributes and the fixed attributes of an element kind."""

from __future__ import annotations

from functools import cache

from .plan import Plan
from .tables import elements, odm_table


@cache
def _document() -> dict[str, str]:
    return {r["name"]: r["value"] for r in odm_table("document")}


def root_attributes(plan: Plan, creation: str) -> dict[str, str | None]:
    """The ODM root element's attributes in document order."""
    return {**elements()["File"].attributes[plan.version], "FileOID": plan.oid("File"),
            "CreationDateTime": creation, "ODMVersion": plan.version, **_document()}


def fixed(kind: str, version: str) -> dict[str, str]:
    """The fixed attributes ``elements.csv`` gives a kind in ``version``."""
    return elements()[kind].attributes[version]


def lines(value: str | list[str] | None) -> str:
    """A description held as lines, as one text."""
    if value is None:
        return ""
    return value if isinstance(value, str) else "\n".join(value)
