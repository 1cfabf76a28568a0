"""Trial definitions written by hand in the model's own shape (YAML or JSON).

They are checked with jsonschema against ``schemas/trial-model.schema.json`` (errors
point at the offending key, with its line when the text is at hand), then validated
strictly into a :class:`~trialexport.model.Trial`.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from trialexport.diagnostics import Diagnostic, error

if TYPE_CHECKING:
    from trialexport.model import Trial


@cache
def _schema() -> dict[str, Any]:
    import json

    from trialexport.resources import schema_path

    return json.loads(schema_path("trial-model.schema.json").read_text(encoding="utf-8"))


@cache
def top_level_keys() -> frozenset[str]:
    """The keys a trial definition may have at its top level (the model's JSON Schema properties)."""
    return frozenset(_schema()["properties"])


class ModelReader:
    """A trial definition: a non-empty mapping whose keys are all top-level keys of the model."""

    name = "model"
    title = "trial definition in the model's shape (YAML or JSON)"
    shape = "json"

    def claims(self, value: Any) -> bool:
        return isinstance(value, dict) and bool(value) and value.keys() <= top_level_keys()

    def record_id(self, value: Any) -> str | None:
        return None  # named by its position; the study id is added once the trial is read

    def read(self, value: Any, text: str | None) -> tuple[Trial | None, list[Diagnostic]]:
        return model_to_trial(value, text)


READER = ModelReader()


@cache
def _validator() -> Any:
    import jsonschema

    schema = _schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def model_to_trial(obj: Any, text: str | None = None) -> tuple[Trial | None, list[Diagnostic]]:
    """Validate a model-shaped object; errors carry the key path (and line:col when known)."""
    if not isinstance(obj, dict):
        return None, [error("MODEL-INVALID", f"expected a mapping at the top level, got {type(obj).__name__}")]
    obj = _plain(obj)
    errors = sorted(_validator().iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        from trialexport.lines import line_index

        lines = line_index(text) if text else {}
        diags = []
        for err in errors:
            path = ".".join(str(p) for p in err.absolute_path) or "(top level)"
            line, col = lines.get(tuple(str(p) for p in err.absolute_path), (None, None))
            diags.append(error("MODEL-INVALID", _message(err), path=path, line=line, col=col))
        return None, diags
    from .build import finalize

    return finalize(obj, strict=True)


def _plain(node: Any) -> Any:
    """YAML reads an unquoted ``2026-11-02`` as a date: give the model the ISO text it expects."""
    import datetime

    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, datetime.datetime):
        return node.date().isoformat()
    if isinstance(node, datetime.date):
        return node.isoformat()
    return node


def _message(err: Any) -> str:
    if err.validator == "additionalProperties":
        return f"unknown key: {err.message.split('(')[-1].rstrip(')')}"
    if err.validator == "type":
        return f"expected {err.validator_value}, got {err.instance!r}"[:200]
    if err.validator == "anyOf":  # optional fields are anyOf [<type>, null]
        kinds = [str(s.get("type") or s.get("$ref", "").rpartition("/")[2]) for s in err.validator_value]
        wanted = " or ".join(k for k in kinds if k and k != "null") or "a valid value"
        return f"expected {wanted}, got {err.instance!r}"[:200]
    return err.message[:200]
