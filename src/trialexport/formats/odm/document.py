"""One ODM 1.3.2 or 2.0 document of a trial (validation: :mod:`.validation`).

The mapping rows of ``mappings/odm/`` fill a version-neutral plan (:mod:`.mapping.engine`); the EDC shell is composed
from the plan and the tables (:mod:`.mapping.edc`); a serializer per version writes the XML.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from trialexport.formats.base import Built, Options
from trialexport.model import Trial

from .mapping import engine, v20, v132
from .mapping.context import Ctx, oid_part
from .mapping.edc import build_spec
from .mapping.plan import Plan
from .mapping.tables import odm_table
from .versions import VERSIONS
from .xmltree import Node


@cache
def reasons(version: str) -> dict[str, str]:
    """Why a model field is deliberately not carried by ``version`` (``not-carried.csv``)."""
    return {r["model"]: r["reason"] for r in odm_table("not-carried") if version in r["versions"].split()}


def build_tree(ctx: Ctx, version: str) -> Node:
    """The ODM document of ``ctx.trial``, written (``ctx.carried``: the model paths it carries)."""
    ctx.plan = Plan(oid_part(ctx.trial.study_id or "UNKNOWN"), version)
    engine.run(ctx, version)
    spec = build_spec(ctx.plan, version)
    return (v132 if version == v132.VERSION else v20).build(ctx.plan, spec)


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
    ctx = Ctx(trial=trial, source_date_epoch=options.source_date_epoch)
    root = build_tree(ctx, version)
    record = trial.study_id
    return Built(OdmDoc(root, record), [d.located(record=record) for d in ctx.diagnostics], frozenset(ctx.carried))
