"""ItemDef and CodeList elements, written the same way by both ODM serializers.

The versions differ only in how text and aliases are written (passed in), in measurement units (1.3.2 only:
``unit_oid`` maps a model unit to its MeasurementUnit OID) and in the SDTM variable (1.3.2 ``SDSVarName``, 2.0 an
Alias with Context ``SDTM``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from trialexport.formats.odm.xmltree import Node, Tree

from .spec import Alias, CodeItem, CodeListSpec, ItemSpec
from .tables import alias_context

TextWriter = Callable[[Node, str, str], None]  # (parent, tag, text): a TranslatedText holder
AliasWriter = Callable[[Node, list[Alias]], None]


def item_def(T: Tree, mdv: Node, it: ItemSpec, tt: TextWriter, aliases: AliasWriter,
             unit_oid: Callable[[str], str] | None = None) -> None:
    """One ItemDef: description, question, units, range checks, code list reference, aliases (``unit_oid``: 1.3.2)."""
    if it.static:
        T.fragment(mdv, it.key(), lambda parent: _item_def(T, parent, it, tt, aliases, unit_oid))
    else:
        _item_def(T, mdv, it, tt, aliases, unit_oid)


def _item_def(T: Tree, mdv: Node, it: ItemSpec, tt: TextWriter, aliases: AliasWriter,
              unit_oid: Callable[[str], str] | None) -> None:
    v132 = unit_oid is not None
    el = T.el(mdv, "ItemDef", {"OID": it.oid, "Name": it.name, "DataType": it.datatype,
                               "SDSVarName": it.sds if v132 else None})
    if it.description:
        tt(el, "Description", it.description)
    if it.question:
        tt(el, "Question", it.question)
    if unit_oid is not None:
        for unit in it.units:
            T.el(el, "MeasurementUnitRef", {"MeasurementUnitOID": unit_oid(unit)})
    for rc in it.range_checks:
        r = T.el(el, "RangeCheck", {"Comparator": rc.comparator, "SoftHard": "Soft" if rc.soft else "Hard"})
        T.el(r, "CheckValue", text=rc.value)
        if unit_oid is not None and rc.unit:
            T.el(r, "MeasurementUnitRef", {"MeasurementUnitOID": unit_oid(rc.unit)})
        tt(r, "ErrorMessage", rc.message(it.name))
    if it.codelist:
        T.el(el, "CodeListRef", {"CodeListOID": it.codelist})
    aliases(el, it.aliases if v132 or not it.sds else [*it.aliases, (alias_context("sdtm"), it.sds)])


def code_list(T: Tree, mdv: Node, cl: CodeListSpec, tt: TextWriter, aliases: AliasWriter) -> None:
    """One CodeList with its items (decoded, numbered in order) and aliases."""
    if cl.static:
        T.fragment(mdv, cl.key(), lambda parent: _code_list(T, parent, cl, tt, aliases))
    else:
        _code_list(T, mdv, cl, tt, aliases)


def _code_list(T: Tree, mdv: Node, cl: CodeListSpec, tt: TextWriter, aliases: AliasWriter) -> None:
    el = T.el(mdv, "CodeList", {"OID": cl.oid, "Name": cl.name, "DataType": cl.datatype})
    for n, item in enumerate(cl.items, 1):
        if cl.static_items and not cl.static:  # (a static list is one fragment already)
            key = ("CodeListItem", n, item.value, item.decode, tuple(item.aliases))
            T.fragment(el, key, partial(_code_item, T, n=n, item=item, tt=tt, aliases=aliases))
        else:
            _code_item(T, el, n, item, tt, aliases)
    aliases(el, cl.aliases)


def _code_item(T: Tree, cl: Node, n: int, item: CodeItem, tt: TextWriter, aliases: AliasWriter) -> None:
    ci = T.el(cl, "CodeListItem", {"CodedValue": item.value, "OrderNumber": str(n)})
    tt(ci, "Decode", item.decode)
    aliases(ci, item.aliases)
