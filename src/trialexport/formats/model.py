"""The model writer: a Trial as JSON or YAML in the model's own shape (readable back with ``--from model``)."""

from __future__ import annotations

from trialexport.model import Trial

from .base import Coverage, Options, Output


def dump_model(trial: Trial, fmt: str = "json") -> bytes:
    """Serialize deterministically: fixed key order, 2-space indent, UTF-8, trailing newline."""
    data = trial.to_data()
    if fmt == "yaml":
        import yaml

        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        return yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100).encode("utf-8")
    import orjson

    return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"


def write_model(trial: Trial, options: Options) -> Output:
    """Every model field is carried by definition; nothing to report as lost."""
    return Output(dump_model(trial, options.model_format), [], Coverage())
