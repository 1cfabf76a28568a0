"""One ODM 1.3.2 or 2.0 document of a trial (validation: :mod:`.validation`).

The EDC skeleton (events, forms, items, code lists), the Trial Summary parameters and the
field correspondences are tables in ``mappings/odm/``; :mod:`trialexport.formats.odm.mapping` assembles them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from trialexport.cdisc.ts import ts_params as compute_ts
from trialexport.cdisc.ts import ts_rows
from trialexport.formats.base import Built, Options
from trialexport.formats.odm.mapping.context import Ctx, odm_table
from trialexport.formats.odm.mapping.edc import build_spec
from trialexport.formats.odm.mapping.header import build_header
from trialexport.model import Trial

from .mapping import v20, v132
from .versions import VERSIONS
from .xmltree import Node


@cache
def sources(version: str) -> frozenset[str]:
    """Model paths the mapping rows of ``version`` read (fields.csv, ts-parameters.csv, forms.csv, header.csv)."""
    out = {r["model"] for r in odm_table("fields") if version in r["versions"].split()}
    out |= {r["source"] for r in ts_rows(version)}
    out |= {p for r in odm_table("forms") for p in r["source"].split()}
    out |= {r["source"].split()[0] for r in odm_table("header")}  # fallbacks are listed in not-carried.csv
    return frozenset(p.removesuffix("[]") for p in out)


@cache
def reasons(version: str) -> dict[str, str]:
    """Why a model field is deliberately not carried by ``version`` (``not-carried.csv``)."""
    return {r["model"]: r["reason"] for r in odm_table("not-carried") if version in r["versions"].split()}


def build_tree(ctx: Ctx, version: str, source_date_epoch: int | None = None) -> Node:
    """The ODM document of ``ctx.trial``, written; :func:`serialize` of the root gives its bytes (notes: ``ctx``)."""
    header = build_header(ctx, version, source_date_epoch)
    ts = compute_ts(ctx, version)
    if version == "1.3.2":
        return v132.build(ctx, header, build_spec(ctx, version, ts))
    return v20.build(ctx, header, build_spec(ctx, version), ts)


@dataclass(frozen=True, slots=True)
class OdmDoc:
    """A built ODM document: its root (serialize with :func:`~.xmltree.serialize`) and the study it is about."""

    root: Node
    record: str | None


def build(trial: Trial, version: str, options: Options | None = None) -> Built:
    """The ODM document of ``version`` for the trial (not yet validated) and the mapping notes."""
    if version not in VERSIONS:
        raise ValueError(f"unknown ODM version {version!r}; expected one of {VERSIONS}")
    options = options or Options()
    ctx = Ctx(trial=trial)
    root = build_tree(ctx, version, options.source_date_epoch)
    record = trial.study_id
    return Built(OdmDoc(root, record), [d.located(record=record) for d in ctx.diagnostics], sources(version))
