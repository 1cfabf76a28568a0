"""trialexport: clinical-trial registry records -> FHIR R5/R4 and CDISC ODM, validated.

Python API (imports are lazy, so ``import trialexport`` is cheap)::

    import trialexport
    for result in trialexport.read("NCT04318600.json"):   # ReadResult per record
        bundle = trialexport.to_fhir(result.trial, version="r5")   # dict
        odm = trialexport.to_odm(result.trial, version="1.3.2")    # bytes
        data = trialexport.export(result.trial, "fhir-r4", bundle_type="transaction")  # any of formats()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"
__all__ = ["Diagnostic", "ReadResult", "Trial", "TrialExportError", "export", "formats", "read", "read_trial",
           "to_fhir", "to_model", "to_odm"]  # fmt: skip

if TYPE_CHECKING:
    from .diagnostics import Diagnostic, TrialExportError
    from .model import Trial
    from .readers import ReadResult, read_trial
    from .readers import read_path as read

_LAZY = {
    "Trial": ("trialexport.model", "Trial"),
    "Diagnostic": ("trialexport.diagnostics", "Diagnostic"),
    "TrialExportError": ("trialexport.diagnostics", "TrialExportError"),
    "ReadResult": ("trialexport.readers", "ReadResult"),
    "read": ("trialexport.readers", "read_path"),
    "read_trial": ("trialexport.readers", "read_trial"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'trialexport' has no attribute {name!r}")


def formats() -> tuple[str, ...]:
    """Names of the output formats, e.g. ``("model", "fhir-r5", ...)``."""
    from .formats.registry import NAMES

    return NAMES


def export(trial: Trial, to: str, *, bundle_type: str = "collection", model_format: str = "json") -> bytes:
    """The trial in format ``to`` (a name from :func:`formats`), validated; raises TrialExportError if invalid."""
    from .diagnostics import TrialExportError
    from .formats.base import Options
    from .formats.registry import get

    out = get(to).write(trial, Options(bundle_type=bundle_type, model_format=model_format))
    for diag in out.diagnostics:
        if diag.is_error:
            raise TrialExportError(diag)
    return out.data


def to_model(trial: Trial, fmt: str = "json") -> bytes:
    """The trial in the model's own shape, as JSON or YAML bytes."""
    from .formats.model import dump_model

    return dump_model(trial, fmt)


def to_fhir(trial: Trial, version: str = "r5", bundle_type: str = "collection") -> dict[str, Any]:
    """A FHIR Bundle (``version`` "r5" or "r4") for the trial; raises TrialExportError if invalid."""
    import orjson

    from .formats.registry import find

    return orjson.loads(export(trial, find("fhir", version).name, bundle_type=bundle_type))


def to_odm(trial: Trial, version: str = "1.3.2") -> bytes:
    """A CDISC ODM document (``version`` "1.3.2" or "2.0") for the trial; raises TrialExportError if invalid."""
    from .formats.registry import find

    return export(trial, find("odm", version).name)
