"""What both ODM serializers share: the root attributes and the fixed attributes of an element kind."""

from __future__ import annotations

from functools import cache

from .plan import Plan
from .tables import elements, odm_table


@cache
def _document() -> dict[str, str]:
    return {r["name"]: r["value"] for r in odm_table("document")}


def root_attributes(plan: Plan) -> dict[str, str | None]:
    """The ODM root element's attributes in document order."""
    study = plan.one("Study")
    return {**elements()["File"].attributes[plan.version], "FileOID": plan.oid("File"),
            "CreationDateTime": study["creation"], "AsOfDateTime": study.get("as_of"), "ODMVersion": plan.version,
            **_document()}


def fixed(kind: str, version: str) -> dict[str, str]:
    """The fixed attributes ``elements.csv`` gives a kind in ``version``."""
    return elements()[kind].attributes[version]


def user_type(kind: str, version: str, user: dict[str, object]) -> dict[str, str]:
    """The fixed attributes of a user kind, with the UserType its role gives (a site investigator)."""
    attrs = fixed(kind, version)
    return {**attrs, "UserType": str(user["user_type"])} if user.get("user_type") else attrs


def lines(value: str | list[str] | None) -> str:
    """A description held as lines, as one text."""
    if value is None:
        return ""
    return value if isinstance(value, str) else "\n".join(value)
