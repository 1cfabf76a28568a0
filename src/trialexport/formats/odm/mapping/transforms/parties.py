"""Transforms for AdminData: person names, user types, telecoms, site names, addresses."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from functools import cache
from typing import Any

from trialexport.mapkit.countries import alpha2_by_name
from trialexport.mapkit.transforms import Call
from trialexport.mapkit.values import phone_text

from ..context import Ctx
from ..tables import odm_table
from .base import transform


@cache
def _affixes() -> dict[str, str]:
    return {r["word"].casefold(): r["place"] for r in odm_table("name-affixes")}


def split_name(full: str) -> tuple[str, str]:
    """``(given names, family name)`` of a registry person name: titles and degrees (``name-affixes.csv``) dropped;
    ``Last, First`` when what follows the comma are not degrees; else the last word is the family name."""
    def plain(word: str) -> str:
        return word.strip(".,;()").casefold()

    full = re.sub(r"\b(Dr|Prof|Mr|Mrs|Ms)\.(?=\S)", r"\1. ", full)  # "Dr.Belinda George"
    head, _, tail = full.partition(",")
    tail_words = tail.replace(",", " ").split()
    if tail_words and not all(_affixes().get(plain(w)) == "suffix" for w in tail_words):
        family, given = head.split(), tail_words  # "Arbelaez, Ana Maria"
        words = [w for w in given if not _affixes().get(plain(w))]
        return " ".join(words), " ".join(w for w in family if not _affixes().get(plain(w)))
    words = [w.strip(",") for w in head.split() if not _affixes().get(plain(w))]
    if not words:
        return "", full.strip()
    return " ".join(words[:-1]), words[-1]


@transform("person_name")
def person_name(ctx: Ctx, value: str, call: Call) -> dict[str, str]:
    """FirstName / LastName (2.0 GivenName / FamilyName) of a person's full name."""
    given, family = split_name(ctx.text_of(value, call))
    return {"first_name": given, "last_name": family}


@cache
def _user_types() -> dict[str, str]:
    return {r["role"]: r["user_type"] for r in odm_table("user-types")}


@transform("user_type")
def user_type(ctx: Ctx, value: dict[str, str], call: Call) -> str | None:
    """The ODM UserType of a registry contact role (``user-types.csv``); an unknown role keeps the kind's type."""
    role = value.get("role")
    found = _user_types().get(role or "")
    if role and found is None:
        ctx.report("MAP-UNKNOWN-CODE", f"contact role {role!r} is not in mappings/odm/user-types.csv: UserType "
                   "Other", f"{call.path}.role")
    return found


@transform("field_text")
def field_text(ctx: Ctx, value: dict[str, Any], call: Call) -> str | None:
    """One field (``arg``) of the item read, as text."""
    found = value.get(call.row.arg)
    return ctx.text(found, f"{call.path}.{call.row.arg}") if found else None


@transform("phone")
def phone(ctx: Ctx, value: dict[str, str], call: Call) -> str | None:
    """A phone number with its extension (``+1 555 0100 ext. 12``)."""
    found = phone_text(value.get("phone"), value.get("phone_ext"))
    return ctx.text(found, f"{call.path}.phone") if found else None


_NAME_PARTS = ("facility", "city", "state", "zip")


def unique_site_names(sites: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """``(name, parts used)`` per site: the facility (else the city), with the city, state and postal code added as
    far as needed to tell it from the other sites; still shared (or empty): the position added (``Site <n>``)."""
    def name(site: dict[str, Any], parts: int) -> str:
        return ", ".join(dict.fromkeys(site[p] for p in _NAME_PARTS[:parts] if site.get(p)))

    out: list[tuple[str, int] | None] = [None] * len(sites)
    for parts in range(1, len(_NAME_PARTS) + 1):
        mine = [name(s, parts) for s in sites]
        names = Counter(mine)
        for i, n in enumerate(mine):
            if out[i] is None and n and names[n] == 1:
                out[i] = (n, parts)
        if all(out):  # usually after the facility alone
            break
    last = len(_NAME_PARTS)
    return [found or ((f"{name(s, last)} (site {i + 1})" if name(s, last) else f"Site {i + 1}"), last)
            for i, (s, found) in enumerate(zip(sites, out, strict=True))]


@transform("site_name")
def site_name(ctx: Ctx, value: tuple[dict[str, str] | None, list[dict[str, Any]]], call: Call) -> str:
    """A site's name, unique in the study (:func:`unique_site_names`): importers that know sites by name (OpenEDC,
    ODM 1.3.2 where Name is the only handle) can tell every site apart."""
    names = ctx.memo.get("site_names")
    if names is None:
        names = ctx.memo["site_names"] = unique_site_names(value[1])
    text, parts = names[call.idx[0]]
    site = value[1][call.idx[0]]
    ctx.carried.update(f"locations[].{p}" for p in _NAME_PARTS[:parts] if site.get(p))
    return ctx.text(text, f"{call.path}.facility")


@transform("country_code")
def country_code(ctx: Ctx, value: str, call: Call) -> str | None:
    """The ISO 3166-1 alpha-2 code of a registry country name (unknown names: see ``country_text``)."""
    return alpha2_by_name().get(value)


@transform("country_text")
def country_text(ctx: Ctx, value: str, call: Call) -> str | None:
    """A country name ``countries.csv`` does not list, kept as text (MAP-UNKNOWN-CODE)."""
    if value in alpha2_by_name():
        return None
    ctx.report("MAP-UNKNOWN-CODE", f"country {value!r} is not in mappings/cdisc/countries.csv: kept as "
               "Address/OtherText", call.path)
    return ctx.text(value, call.path)


def _decimal(value: float) -> str:
    """xs:decimal text of a float: plain notation, never ``1e-05``."""
    return format(Decimal(repr(value)), "f")


@transform("geo_position")
def geo_position(ctx: Ctx, value: dict[str, float], call: Call) -> dict[str, str]:
    """Latitude and longitude as xs:decimal text."""
    return {"latitude": _decimal(value["lat"]), "longitude": _decimal(value["lon"])}
