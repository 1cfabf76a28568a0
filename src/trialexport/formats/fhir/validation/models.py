"""A second opinion: FHIR JSON parsed with the fhir.resources pydantic models (``FHIR-MODEL`` findings)."""

from __future__ import annotations

from typing import Any

from trialexport.diagnostics import Diagnostic, error

from .pieces import JSON, pointer, short, split
from .schema import check_version

#: R4 resource types parsed with ``fhir.resources.R4B`` models: those whose R4B structure equals R4.
R4_MODEL_TYPES = frozenset({"ResearchStudy", "Group", "Organization", "Location", "Practitioner", "Bundle"})


def _loc_to_pointer(base: str, loc: tuple[Any, ...]) -> str:
    parts = []
    for step in loc:
        if isinstance(step, str):
            if step == "resource_type":
                step = "resourceType"
            elif step.endswith("__ext"):
                step = "_" + step[: -len("__ext")]
            if step.endswith("_fhir"):
                step = step[: -len("_fhir")]
        parts.append(step)
    return pointer(base, parts)


_INT64_MIN = "-9223372036854775808"


def _model_defect(err: Any) -> bool:
    """Whether a fhir.resources error is a known defect of the models rather than of the resource (official R5
    examples valid by the specification that the models reject):

    * an ``integer64`` of ``-9223372036854775808``: the datatype's range is that of a signed 64-bit integer
      (datatypes.html#integer64), the models' lower bound is one more;
    * ``_value<type>`` in an ``Extension``: FHIR JSON gives every primitive element, ``Extension.value[x]`` included,
      its ``_<element>`` sibling for id and extensions (json.html); the models have no such field there.
    """
    loc = tuple(err.get("loc", ()))
    if err.get("type") == "greater_than_equal" and str(err.get("input")) == _INT64_MIN:
        return True
    return (err.get("type") == "extra_forbidden" and len(loc) >= 2 and isinstance(loc[-1], str)
            and loc[-1].startswith("_value") and "extension" in loc[:-1])


def validate_fhir_models(obj: JSON, version: str) -> list[Diagnostic]:
    """Parse ``obj`` with the fhir.resources pydantic models; report each error as ``FHIR-MODEL`` at a JSON pointer.

    R5 uses ``fhir.resources.<type>``. fhir.resources ships no R4 models, so R4 uses ``fhir.resources.R4B`` and only
    for the types whose R4B structure equals R4 (:data:`R4_MODEL_TYPES`: ResearchStudy, Group, Organization, Location,
    Practitioner and the Bundle shell). R4B's PlanDefinition and EvidenceVariable differ from R4 (and other types
    were not checked), so other R4 resources are skipped here; the JSON schema check still covers them. A Bundle is
    parsed as its shell (entry resources removed) plus each entry resource with its own model.
    """
    check_version(version)
    if not isinstance(obj, dict):
        return [error("FHIR-MODEL", f"expected a JSON object (FHIR resource), got {type(obj).__name__}", path="")]
    from pydantic import ValidationError

    if version == "r5":
        from fhir.resources import get_fhir_model_class
    else:
        from fhir.resources.R4B import get_fhir_model_class

    pieces, found = split(obj, version)
    out = [error("FHIR-MODEL", d.message, path=d.path) for d in found]
    for ptr, rtype, shell in pieces:
        if version == "r4" and rtype not in R4_MODEL_TYPES:
            continue
        try:
            model = get_fhir_model_class(rtype)
        except (KeyError, ValueError, ImportError):
            out.append(error("FHIR-MODEL", f"fhir.resources has no {version.upper()} model for {rtype}", path=ptr))
            continue
        try:
            model.model_validate(shell)
        except ValidationError as exc:
            for e in exc.errors():
                if _model_defect(e):
                    continue
                where = _loc_to_pointer(ptr, tuple(e.get("loc", ())))
                out.append(error("FHIR-MODEL", short(f"{rtype}: {e.get('msg', '')}"), path=where))
        except Exception as exc:  # fhir.resources itself fails on some malformed input (a nested resource
            # whose resourceType names no type raises KeyError): that is a finding, not a crash
            msg = f"{rtype}: fhir.resources could not parse it ({exc!r})"
            out.append(error("FHIR-MODEL", short(msg), path=ptr))
    return out


