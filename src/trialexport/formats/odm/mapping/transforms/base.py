"""The ODM transform registry and the general transforms: text, constants, elements, references, dates."""

from __future__ import annotations

import datetime
import os
from typing import Any

from trialexport.mapkit.transforms import Call, TransformRegistry

from ..context import Ctx
from ..plan import Ref

TRANSFORMS = TransformRegistry("odm")
transform = TRANSFORMS.register


@transform("text")
def text(ctx: Ctx, value: Any, call: Call) -> str:
    """The value as XML-safe text."""
    return ctx.text_of(value, call)


@transform("const")
def const(ctx: Ctx, value: Any, call: Call) -> str:
    """The row's argument."""
    return str(call.row.arg)


@transform("prefixed")
def prefixed(ctx: Ctx, value: Any, call: Call) -> str:
    """A labelled line: the argument, then the value (``Time frame: 12 weeks``)."""
    return f"{call.row.arg}: {ctx.text_of(value, call)}"


@transform("entity")
def entity(ctx: Ctx, value: Any, call: Call) -> dict[str, Any]:
    """An element per source item (its fields come from other rows)."""
    return {}


@transform("ref")
def ref(ctx: Ctx, value: Any, call: Call) -> Ref:
    """A reference to the element of kind ``arg`` (``Kind[]``: the one at the first source index)."""
    kind = call.row.arg
    if kind.endswith("[]"):
        return Ref(kind[:-2], call.idx[:1])
    return Ref(kind)


@transform("copy")
def copy(ctx: Ctx, value: Any, call: Call) -> Any:
    """The value of another single element's field (``Study.name``)."""
    kind, _, name = call.row.arg.partition(".")
    return ctx.plan.one(kind).get(name)


@transform("copy_item")
def copy_item(ctx: Ctx, value: Any, call: Call) -> Any:
    """The field of the element of another kind at the same source indices (``SiteLocation.name``)."""
    kind, _, name = call.row.arg.partition(".")
    return ctx.plan.kinds.get(kind, {}).get(call.idx, {}).get(name)


@transform("full_date")
def full_date(ctx: Ctx, value: str, call: Call) -> str | None:
    """A full date (YYYY-MM-DD) as it is; a partial one is left to a later row."""
    return value if value.count("-") == 2 else None


@transform("padded_date")
def padded_date(ctx: Ctx, value: str, call: Call) -> str:
    """A partial date padded to the first day (reported: ODM needs a full xs:date)."""
    padded = (value + "-01-01")[:10] if value.count("-") == 0 else value + "-01"
    ctx.report("MAP-DATE-PADDED", f"no full date in the record: EffectiveDate {padded} padded from {value!r}",
               call.path)
    return padded


@transform("creation_datetime")
def creation_datetime(ctx: Ctx, value: Any, call: Call) -> str:
    """EffectiveDate + T00:00:00; else SOURCE_DATE_EPOCH (option, then environment); never the wall clock."""
    effective = ctx.plan.one("Study").get("effective_date")
    if effective:
        return f"{effective}T00:00:00"
    epoch = ctx.source_date_epoch
    if epoch is None and os.environ.get("SOURCE_DATE_EPOCH", "").strip().isdigit():
        epoch = int(os.environ["SOURCE_DATE_EPOCH"])
    if epoch is None:
        ctx.report("MAP-NO-DATE", "no update, verification, posting or submission date in the record and "
                   "SOURCE_DATE_EPOCH is unset: CreationDateTime 1970-01-01T00:00:00 used", "status")
        epoch = 0
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")


@transform("date_of")
def date_of(ctx: Ctx, value: Any, call: Call) -> str | None:
    """The date part of another single element's date-time field (``Study.creation``)."""
    found = copy(ctx, value, call)
    return found[:10] if found else None
