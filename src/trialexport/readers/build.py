"""Turn a plain dict in the model's shape into a validated :class:`~trialexport.model.Trial`.

Shared by every reader. Registry input is forgiving: a field whose value the model
cannot hold (an impossible date, a negative enrollment, ...) is moved to ``extras``
under its source path with a warning, and the rest of the record still converts.
Hand-written model files are strict: any such problem is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from trialexport.diagnostics import Diagnostic, error, info, warning
from trialexport.model import Trial


def _loc_str(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _pop(data: Any, loc: tuple[Any, ...]) -> Any:
    node = data
    for part in loc[:-1]:
        node = node[part]
    return node.pop(loc[-1]) if isinstance(node, (dict, list)) else None


def finalize(
    data: dict[str, Any],
    *,
    strict: bool,
    origin: Callable[[str], str] | None = None,
) -> tuple[Trial | None, list[Diagnostic]]:
    """Validate ``data`` into a Trial; parse eligibility criteria text when no list is given.

    ``origin`` maps a model path (``design.enrollment_count``) to its source path, for messages and
    for the ``extras`` key of quarantined values.
    """
    diags: list[Diagnostic] = []
    elig = data.get("eligibility")
    if isinstance(elig, dict) and isinstance(elig.get("criteria_text"), str) and not elig.get("criteria"):
        from .criteria import parse_criteria

        criteria, notes = parse_criteria(elig["criteria_text"])
        elig["criteria"] = criteria
        diags.extend((warning if n.severity == "warning" else info)("READ-CRITERIA", n.text,
                                                                    path="eligibility.criteria_text")
                     for n in notes)
    for _attempt in range(3):
        try:
            return Trial.model_validate(data), diags
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        if strict:
            return None, diags + [
                error("MODEL-INVALID", f"{e['msg']} (got {_short(e.get('input'))})", path=_loc_str(e["loc"]))
                for e in errors
            ]
        # quarantine: deepest / last-index first so earlier pops do not shift later locations
        locs = []
        for e in errors:
            loc = tuple(e["loc"])
            if e["type"] == "missing" and len(loc) > 1:
                loc = loc[:-1]  # the containing object cannot exist without this field
            locs.append((loc, e))
        seen: set[tuple[Any, ...]] = set()
        for loc, e in sorted(locs, key=lambda item: [str(p).zfill(8) for p in item[0]], reverse=True):
            if loc in seen or any(loc[: len(s)] == s for s in seen):
                continue
            seen.add(loc)
            try:
                value = _pop(data, loc)
            except (KeyError, IndexError, TypeError):
                continue
            model_path = _loc_str(loc)
            key = origin(model_path) if origin else model_path
            if value is not None:
                data.setdefault("extras", {})[key] = value
            diags.append(
                warning(
                    "READ-VALUE",
                    f"{e['msg']} (got {_short(value)}); kept in extras[{key!r}], not in the model",
                    path=key,
                )
            )
    return None, diags + [error("MODEL-INVALID", "record could not be made valid")]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
