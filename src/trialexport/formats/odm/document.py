"""CDISC ODM writers: ODM 1.3.2 and ODM 2.0 documents for a trial, validated against the official XSDs.

The EDC skeleton (events, forms, items, code lists), the Trial Summary parameters and the
field correspondences are tables in ``mappings/odm/``; :mod:`trialexport.formats.odm.mapping` assembles them.
"""

from __future__ import annotations

from functools import cache

from trialexport.cdisc.ts import ts_params as compute_ts
from trialexport.cdisc.ts import ts_rows
from trialexport.diagnostics import Diagnostic, TrialExportError
from trialexport.formats.base import Options, Output
from trialexport.formats.odm.mapping.context import Ctx, odm_table
from trialexport.formats.odm.mapping.edc import build_spec
from trialexport.formats.odm.mapping.header import build_header
from trialexport.mapkit.coverage import compute
from trialexport.model import Trial

from .mapping import v20, v132
from .xmltree import Node, serialize

VERSIONS = ("1.3.2", "2.0")


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


def convert(trial: Trial, version: str, options: Options | None = None) -> Output:
    """Build, serialize and (unless ``options.validate`` is off) validate one ODM document."""
    if version not in VERSIONS:
        raise ValueError(f"unknown ODM version {version!r}; expected one of {VERSIONS}")
    options = options or Options()
    ctx = Ctx(trial)
    data = serialize(build_tree(ctx, version, options.source_date_epoch))
    diagnostics: list[Diagnostic] = list(ctx.diagnostics)
    if options.validate:
        from .validation import validate_odm

        diagnostics.extend(validate_odm(data, version))
    record = trial.study_id
    diagnostics = [d.located(record=record) for d in diagnostics]
    return Output(data, diagnostics, compute(trial, sources(version), reasons(version)))


def write_odm132(trial: Trial, options: Options) -> Output:
    """ODM 1.3.2 (Snapshot, Metadata): EDC metadata, TS reference data, AdminData."""
    return convert(trial, "1.3.2", options)


def write_odm20(trial: Trial, options: Options) -> Output:
    """ODM 2.0: EDC metadata plus the registry content in native Protocol elements."""
    return convert(trial, "2.0", options)


def build_odm(trial: Trial, version: str = "1.3.2") -> bytes:
    """ODM bytes for the trial; raises :class:`TrialExportError` with the first error if the output is invalid."""
    out = convert(trial, version)
    for diag in out.diagnostics:
        if diag.is_error:
            raise TrialExportError(diag)
    return out.data
