"""Document-level values: OIDs, names and the dates ODM requires as full xs:date / xs:dateTime."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

from trialexport.mapkit.pathexpr import iter_values

from .context import Ctx, odm_table, oid_part


@dataclass(frozen=True, slots=True)
class Header:
    file_oid: str
    study_oid: str
    mdv_oid: str
    mdv_name: str
    creation: str  # xs:dateTime
    effective_date: str  # xs:date
    study_name: str
    study_description: str
    protocol_name: str
    protocol_description: str | None


def _first(ctx: Ctx, paths: str) -> tuple[str, str] | None:
    """``(path, value)`` of the first populated path of a space-separated list."""
    for path in paths.split():
        for _, value in iter_values(ctx.data, path):
            if value != "":
                return path, value
    return None


def _setting(name: str) -> str:
    return next(r["source"] for r in odm_table("header") if r["name"] == name)


def effective_date(ctx: Ctx) -> tuple[str, str | None]:
    """The first full date of the ``effective_date`` sources; else the first partial one padded (reported)."""
    dates = [(p, v) for p in _setting("effective_date").split() for _, v in iter_values(ctx.data, p)]
    for path, value in dates:
        if value.count("-") == 2:
            return value, path
    for path, value in dates:
        padded = (value + "-01-01")[:10] if value.count("-") == 0 else value + "-01"
        ctx.report("MAP-DATE-PADDED", f"no full date in the record: EffectiveDate {padded} padded from {value!r}", path)
        return padded, path
    return "", None


def creation_datetime(ctx: Ctx, effective: str, source_date_epoch: int | None) -> str:
    """Record date + T00:00:00; else ``source_date_epoch`` / SOURCE_DATE_EPOCH; never the wall clock."""
    if effective:
        return effective + "T00:00:00"
    epoch = source_date_epoch
    if epoch is None and os.environ.get("SOURCE_DATE_EPOCH", "").strip().isdigit():
        epoch = int(os.environ["SOURCE_DATE_EPOCH"])
    if epoch is None:
        ctx.report("MAP-NO-DATE", "no update, verification, posting or submission date in the record and "
                   "SOURCE_DATE_EPOCH is unset: CreationDateTime 1970-01-01T00:00:00 used", "status")
        epoch = 0
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def build_header(ctx: Ctx, version: str, source_date_epoch: int | None) -> Header:
    effective, _ = effective_date(ctx)
    creation = creation_datetime(ctx, effective, source_date_epoch)
    if not effective:
        effective = creation[:10]
    sid = ctx.trial.study_id or "UNKNOWN"
    name = _first(ctx, _setting("study_name")) or ("", sid)
    desc = _first(ctx, _setting("study_description")) or name
    proto = _first(ctx, _setting("protocol_name")) or name
    pdesc = _first(ctx, _setting("protocol_description"))
    return Header(
        file_oid=f"ODM.{oid_part(sid)}.{version}",
        study_oid=f"ST.{oid_part(sid)}",
        mdv_oid="MDV.1",
        mdv_name=f"Registry record {effective}",
        creation=creation,
        effective_date=effective,
        study_name=ctx.text(name[1], name[0]),
        study_description=ctx.text(desc[1], desc[0]),
        protocol_name=ctx.text(proto[1], proto[0]),
        protocol_description=ctx.text(pdesc[1], pdesc[0]) if pdesc else None,
    )
