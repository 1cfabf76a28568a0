"""The trial model as an output format: JSON or YAML in the model's own shape (readable back with ``--from model``).

Every model field is carried by definition, so there is nothing to report as not carried.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trialexport.diagnostics import Diagnostic
    from trialexport.formats.base import Built, Options
    from trialexport.model import Trial


def dump_model(trial: Trial, fmt: str = "json") -> bytes:
    """Serialize deterministically: fixed key order, 2-space indent, UTF-8, trailing newline."""
    return _dump(trial.to_data(), fmt)


def _dump(data: dict[str, Any], fmt: str) -> bytes:
    if fmt == "yaml":
        import yaml

        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        return yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100).encode("utf-8")
    import orjson

    return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"


class ModelFamily:
    """The model's own shape; one version (``""``), two serializations (``options.model_format``)."""

    name = "model"
    versions: tuple[str, ...] = ("",)

    def build(self, trial: Trial, version: str, options: Options) -> Built:
        from trialexport.formats.base import Built

        return Built(trial.to_data(), [], None)

    def serialize(self, doc: Any, version: str, options: Options) -> bytes:
        return _dump(doc, options.model_format)

    def validate(self, doc: Any, data: bytes, version: str, options: Options) -> list[Diagnostic]:
        return []  # the Trial was validated when it was read

    def not_carried(self, version: str) -> dict[str, str]:
        return {}

    def suffix(self, version: str, options: Options) -> str:
        return f"model.{options.model_format}"

    def claims(self, doc: Any) -> bool:
        return False  # trial definitions are records: trialexport validate reads them through the readers

    def check(self, doc: Any, data: bytes, version: str | None, source: str) -> list[Diagnostic]:
        return []


FAMILY = ModelFamily()
