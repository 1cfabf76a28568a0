"""The ODM transform registry and the general transforms: text, constants, elements, references, keys, dates."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from trialexport.mapkit.transforms import Call, TransformRegistry
from trialexport.mapkit.values import file_datetime, source_date_epoch

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


@transform("copy_site")
def copy_site(ctx: Ctx, value: Any, call: Call) -> Any:
    """The field of the element of another kind at the first source index (a site contact's site)."""
    kind, _, name = call.row.arg.partition(".")
    return ctx.plan.kinds.get(kind, {}).get(call.idx[:1], {}).get(name)


@transform("label")
def label(ctx: Ctx, value: Any, call: Call) -> str:
    """The Name pattern of the element kind ``arg`` for this element (``Central contact 2``)."""
    return ctx.plan.name(call.row.arg, call.idx, {})


def content_key(*parts: Any) -> str:
    """Six hex digits of a hash of the content (upper case): part of OIDs that stay put when items move."""
    text = "\x1f".join(" ".join(str(p).split()).casefold() for p in parts if p not in (None, ""))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:6].upper()


def unique_key(ctx: Ctx, kind: str, key: str) -> str:
    """``key``, or ``key_2``, ``key_3`` ... when an element of ``kind`` already has it (identical content)."""
    taken = ctx.memo.setdefault(("keys", kind), set())
    found, n = key, 1
    while found in taken:
        n += 1
        found = f"{key}_{n}"
    taken.add(found)
    return found


@transform("stable_key")
def stable_key(ctx: Ctx, value: Any, call: Call) -> str:
    """A key from the content: the value itself, or the space-separated fields of the argument of an item."""
    parts = [value.get(f) for f in call.row.arg.split()] if call.row.arg else [value]
    return unique_key(ctx, call.row.target.kind, content_key(*parts))


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
    """When the file is made: SOURCE_DATE_EPOCH (the option, then the environment) if set; else, so that the same
    record always gives the same bytes, the record's own date (``arg``: the element field holding it) at midnight;
    never the wall clock. With neither, 1970-01-01 (EffectiveDate reports MAP-NO-DATE)."""
    epoch = source_date_epoch(ctx.source_date_epoch)
    return file_datetime(epoch, None if epoch is not None else copy(ctx, value, call) or None)


@transform("datetime_of")
def datetime_of(ctx: Ctx, value: Any, call: Call) -> str | None:
    """A date field of another element as a date-time at midnight (``2024-05-01T00:00:00``)."""
    found = copy(ctx, value, call)
    return f"{found}T00:00:00" if found else None


@transform("undated")
def undated(ctx: Ctx, value: Any, call: Call) -> str | None:
    """The date part of another element's date-time, reported: the record has no date of its own (MAP-NO-DATE)."""
    found = copy(ctx, value, call)
    if not found:
        return None
    ctx.report("MAP-NO-DATE", "no update, verification, posting or submission date in the record: EffectiveDate and "
               f"the MetaDataVersion are dated {found[:10]}, the file's creation date", "status")
    return str(found[:10])


@cache
def _registry_fields(version: str) -> tuple[str, ...]:
    """The model paths ``registry-fields.csv`` keeps as Protocol Aliases in ``version``."""
    from ..tables import odm_table

    return tuple(r["path"] for r in odm_table("registry-fields") if version in r["versions"].split())


def _leaves(value: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{path}[{i}]")]
    return [] if value is None or value == "" else [(path, value)]


@transform("registry_fields")
def registry_fields(ctx: Ctx, value: Any, call: Call) -> list[dict[str, str]] | None:
    """Protocol Aliases of the registry fields with no element of their own: Context = prefix + model path."""
    from trialexport.mapkit.pathexpr import concrete, iter_values
    from trialexport.mapkit.textclean import FORBIDDEN

    from ..tables import alias_context

    prefix = alias_context("registry-field")
    out = []
    for path in _registry_fields(ctx.plan.version):
        found = iter_values(ctx.data, path)
        for idx, node in found:
            for leaf, v in _leaves(node, concrete(path, idx)):
                text = ("true" if v else "false") if isinstance(v, bool) else str(v)
                out.append({"context": prefix + leaf,
                            "name": text if FORBIDDEN.search(text) is None else ctx.text(text, leaf)})
        if found:
            ctx.carried.add(path.removesuffix("[]"))
    return out or None
