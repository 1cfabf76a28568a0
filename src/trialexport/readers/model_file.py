"""Trial definitions written by hand in the model's own shape (YAML or JSON).

They are checked with jsonschema against ``schemas/trial-model.schema.json`` (errors
point at the offending key, with its line when the text is at hand), then validated
strictly into a :class:`~trialexport.model.Trial`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from trialexport.diagnostics import Diagnostic, error
from trialexport.model import Trial

from .build import finalize


@cache
def _validator() -> Any:
    import json

    import jsonschema

    from trialexport.resources import schema_path

    schema = json.loads(schema_path("trial-model.schema.json").read_text(encoding="utf-8"))
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
