"""The output formats: one registry from a target name to its writer.

A writer is ``write(trial, options) -> Output``: the serialized bytes (already validated
against the official schema of the format), the diagnostics (errors mean the bytes must
not be used), and a coverage report (which model fields were mapped, which not carried).
Writers are imported lazily so that ``trialexport --help`` stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trialexport.diagnostics import Diagnostic

# target name -> (file suffix, "module:function")
TARGETS: dict[str, tuple[str, str]] = {
    "model": ("model.json", "trialexport.formats.model:write_model"),
    "fhir-r5": ("fhir-r5.json", "trialexport.formats.fhir.bundle:write_r5"),
    "fhir-r4": ("fhir-r4.json", "trialexport.formats.fhir.bundle:write_r4"),
    "odm-1.3.2": ("odm-1.3.2.xml", "trialexport.formats.odm.document:write_odm132"),
    "odm-2.0": ("odm-2.0.xml", "trialexport.formats.odm.document:write_odm20"),
}
ALL_EXPORTS = ("fhir-r5", "fhir-r4", "odm-1.3.2", "odm-2.0")


@dataclass(slots=True)
class Options:
    """Conversion options shared by all writers."""

    bundle_type: str = "collection"  # FHIR Bundle.type: collection | transaction
    model_format: str = "json"  # model writer: json | yaml
    validate: bool = True  # validate against the official schema (never off for fixtures)
    source_date_epoch: int | None = None  # fallback timestamp when the record has none
    model_check: bool = False  # FHIR: also parse with the fhir.resources models, a second opinion that adds no
    # verdict on our outputs (tests/test_validators_model_parity.py); the schema, required, choice, binding and
    # reference checks always run when validate is on


@dataclass(slots=True)
class Coverage:
    """What one writer did with the model: fields mapped, fields not carried (and why)."""

    mapped: list[str] = field(default_factory=list)
    not_carried: dict[str, str] = field(default_factory=dict)  # model path -> reason

    def to_dict(self) -> dict[str, Any]:
        return {"mapped": sorted(self.mapped), "not_carried": dict(sorted(self.not_carried.items()))}


@dataclass(slots=True)
class Output:
    data: bytes
    diagnostics: list[Diagnostic] = field(default_factory=list)
    coverage: Coverage | None = None

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def writer(target: str) -> Callable[..., Output]:
    """The writer function of ``target`` (imported on first use)."""
    module, _, func = TARGETS[target][1].partition(":")
    return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]


def suffix(target: str, options: Options | None = None) -> str:
    """File suffix for a target, e.g. ``fhir-r5.json``."""
    if target == "model" and options is not None and options.model_format == "yaml":
        return "model.yaml"
    return TARGETS[target][0]
