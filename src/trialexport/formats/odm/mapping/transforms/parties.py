"""Transforms for AdminData: telecoms, site names, addresses."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from trialexport.mapkit.transforms import Call
from trialexport.mapkit.values import phone_text

from ..context import Ctx
from ..tables import odm_table
from .base import transform


@transform("phone")
def phone(ctx: Ctx, value: dict[str, str], call: Call) -> str | None:
    """A phone number with its extension (``+1 555 0100 ext. 12``)."""
    found = phone_text(value.get("phone"), value.get("phone_ext"))
    return ctx.text(found, f"{call.path}.phone") if found else None


@transform("field_text")
def field_text(ctx: Ctx, value: dict[str, Any], call: Call) -> str | None:
    """One field (``arg``) of the item read, as text."""
    found = value.get(call.row.arg)
    return ctx.text(found, f"{call.path}.{call.row.arg}") if found else None


@transform("site_number")
def site_number(ctx: Ctx, value: Any, call: Call) -> str:
    """``Site <n>`` (1-based position in the registry's list): a site with neither facility nor city."""
    return f"Site {call.idx[0] + 1}"


@cache
def countries() -> dict[str, str]:
    """Registry country name -> ISO 3166-1 alpha-2 (``mappings/odm/countries.csv``)."""
    return {r["country"]: r["iso3166"] for r in odm_table("countries")}


@transform("country_code")
def country_code(ctx: Ctx, value: str, call: Call) -> str | None:
    """The ISO 3166-1 alpha-2 code of a registry country name (unknown names: see ``country_text``)."""
    return countries().get(value)


@transform("country_text")
def country_text(ctx: Ctx, value: str, call: Call) -> str | None:
    """A country name ``countries.csv`` does not list, kept as text (MAP-UNKNOWN-CODE)."""
    if value in countries():
        return None
    ctx.report("MAP-UNKNOWN-CODE", f"country {value!r} is not in mappings/odm/countries.csv: kept as "
               "Address/OtherText", call.path)
    return ctx.text(value, call.path)


def _decimal(value: float) -> str:
    """xs:decimal text of a float: plain notation, never ``1e-05``."""
    return format(Decimal(repr(value)), "f")


@transform("geo_position")
def geo_position(ctx: Ctx, value: dict[str, float], call: Call) -> dict[str, str]:
    """Latitude and longitude as xs:decimal text."""
    return {"latitude": _decimal(value["lat"]), "longitude": _decimal(value["lon"])}
