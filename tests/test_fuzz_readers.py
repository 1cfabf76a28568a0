"""Fuzzing the readers and ``trialexport validate``: arbitrary bytes and mutated corpus records never raise.

Every input must come back as ReadResults carrying Diagnostics (or a FileResult of Diagnostics from ``validate_file``),
never as an exception. A longer run: ``python benchmarks/fuzz_readers.py --examples 5000``.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from functools import cache
from typing import Any

import orjson
from conftest import CORPUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialexport.diagnostics import Diagnostic
from trialexport.readers import ReadResult, read_bytes
from trialexport.readers.registry import NAMES as FORMATS
from trialexport.validate_files import validate_file

# benchmarks/fuzz_readers.py raises the example count through this variable
SETTINGS = settings(max_examples=int(os.environ.get("TRIALEXPORT_FUZZ_EXAMPLES", "60")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
JUNK = [b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", "\ud800".encode("utf-8", "surrogatepass"), b'"', b"{", b"]",
        b"PK\x03\x04", b"<!DOCTYPE x [", b"\n", b"&a *a", b"!!python/object:os.system", b"\\ud800", b"\x0b"]
ENUMS = ["PHASE5", "PAUSED", "", "phase2", "N/A", "\u0000", "X" * 300, "🙂"]
VALUES: list[Any] = [None, True, 0, -5, 10**30, 1.5e308, "", "text", [], {}, [1, "a"], {"x": {"y": [None]}}]


@cache
def corpus_bytes() -> tuple[bytes, ...]:
    return tuple(p.read_bytes() for p in CORPUS)


def check_results(results: list[ReadResult]) -> None:
    """Only ReadResults with Diagnostics; a usable trial has a study id."""
    for res in results:
        assert isinstance(res, ReadResult)
        assert all(isinstance(d, Diagnostic) for d in res.diagnostics)
        assert all(d.format_text() for d in res.diagnostics)
        if res.trial is not None:
            assert res.trial.study_id


def check_validate(data: bytes, suffix: str) -> None:
    """``validate_file`` on a temporary file returns Diagnostics, whatever the bytes."""
    fd, name = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        result = validate_file(name)
        assert result.status in ("valid", "invalid", "skipped") and result.kind
        assert all(isinstance(d, Diagnostic) and d.file == name for d in result.findings)
    finally:
        os.unlink(name)


def _slots(node: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) of a decoded JSON value, iteratively."""
    stack = [node]
    while stack:
        cur = stack.pop()
        keys = list(cur) if isinstance(cur, dict) else range(len(cur)) if isinstance(cur, list) else []
        for key in keys:
            out.append((cur, key))
            stack.append(cur[key])
    return out


@st.composite
def mutated_records(draw: st.DrawFn) -> bytes:
    """A corpus record after a few structural mutations, then possibly byte-level damage."""
    data = draw(st.sampled_from(corpus_bytes()))
    obj = orjson.loads(data)
    for _ in range(draw(st.integers(1, 6))):
        slots = _slots(obj, [])
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(("delete", "swap", "enum", "nest")))
        if action == "delete":
            del container[key]
        elif action == "swap":
            container[key] = copy.deepcopy(draw(st.sampled_from(VALUES)))  # VALUES holds mutable constants
        elif action == "enum":
            container[key] = draw(st.sampled_from(ENUMS) | st.text(max_size=20))
        else:
            container[key] = [container[key]] if draw(st.booleans()) else {"wrapped": container[key]}
    out = json.dumps(obj, ensure_ascii=False).encode()
    damage = draw(st.sampled_from(("none", "truncate", "junk")))
    if damage == "truncate":
        out = out[: draw(st.integers(0, len(out)))]
    elif damage == "junk":
        at = draw(st.integers(0, len(out)))
        out = out[:at] + draw(st.sampled_from(JUNK) | st.binary(max_size=8)) + out[at:]
    return out


@SETTINGS
@given(st.binary(max_size=2048), st.sampled_from((None, *FORMATS)))
def test_arbitrary_bytes_never_raise(data: bytes, fmt: str | None) -> None:
    check_results(list(read_bytes(data, fmt, name="fuzz")))


@SETTINGS
@given(st.sampled_from([b"{", b"[", b"PK\x03\x04", b"\xef\xbb\xbf", b"identification:\n  ", b"<?xml "]),
       st.binary(max_size=512))
def test_plausible_prefixes_never_raise(prefix: bytes, rest: bytes) -> None:
    check_results(list(read_bytes(prefix + rest, name="fuzz")))
    check_validate(prefix + rest, ".json")


@SETTINGS
@given(mutated_records())
def test_mutated_records_never_raise(data: bytes) -> None:
    check_results(list(read_bytes(data, name="fuzz.json")))
    check_validate(data, ".json")


@SETTINGS
@given(st.lists(mutated_records(), min_size=1, max_size=4))
def test_mutated_ndjson_and_pages_never_raise(records: list[bytes]) -> None:
    check_results(list(read_bytes(b"\n".join(records) + b"\n", name="fuzz.ndjson")))
    page = b'{"studies": [' + b",".join(records) + b"]}"
    check_results(list(read_bytes(page, name="page.json")))
