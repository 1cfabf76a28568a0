"""Large inputs are streamed: records held at once stay bounded however long the input (counted, not timed)."""

from __future__ import annotations

import gc
import json
import weakref
import zipfile

import pytest
from conftest import CORPUS

from trialexport.model import Trial
from trialexport.readers import read_path

SMALL = min(CORPUS, key=lambda p: p.stat().st_size)


def _rekeyed(n: int):
    base = json.loads(SMALL.read_bytes())
    for i in range(n):
        base["protocolSection"]["identificationModule"]["nctId"] = f"NCT9{i:07d}"
        yield json.dumps(base)


def _max_alive(path) -> tuple[int, int]:
    alive: list[weakref.ref[Trial]] = []
    peak = count = 0
    for res in read_path(path):
        assert res.ok
        alive.append(weakref.ref(res.trial))
        count += 1
        if count % 50 == 0:
            gc.collect()
            alive = [r for r in alive if r() is not None]
            peak = max(peak, len(alive))
    return peak, count


def _write(tmp_path, container: str, n: int, monkeypatch):
    if container == "ndjson":
        path = tmp_path / f"s{n}.ndjson"
        path.write_text("\n".join(_rekeyed(n)) + "\n")
    elif container == "zip":
        path = tmp_path / f"s{n}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for i, text in enumerate(_rekeyed(n)):
                zf.writestr(f"ctg-studies/NCT9{i:07d}.json", text)
    else:
        from trialexport.readers import containers

        monkeypatch.setattr(containers, "STREAM_PAGE_ABOVE", 0)  # force the streaming page reader
        path = tmp_path / f"page{n}.json"
        path.write_text('{"studies": [' + ",".join(_rekeyed(n)) + "]}")
    return path


@pytest.mark.parametrize("container", ["ndjson", "zip", "page"])
def test_records_held_stay_bounded(tmp_path, container, monkeypatch):
    n = 1500
    path = _write(tmp_path, container, n, monkeypatch)
    peak, count = _max_alive(path)
    assert count == n
    assert peak <= 2, f"{peak} trials alive at once while streaming {container}"


def _double(x: int) -> int:
    return x * 2


def test_parallel_feeding_is_bounded():
    from trialexport.pipeline.workers import Workers

    pulled = 0

    def items():
        nonlocal pulled
        for i in range(500):
            pulled += 1
            yield i

    workers = Workers(2)
    try:
        ahead = 0
        for consumed, value in enumerate(workers.imap(_double, items(), 8), 1):
            assert value == (consumed - 1) * 2  # in order
            ahead = max(ahead, pulled - consumed)
    finally:
        workers.close()
    assert ahead <= 8


@pytest.mark.parametrize("container", ["ndjson", "zip", "page"])
def test_peak_memory_does_not_grow_with_the_input(tmp_path, container, monkeypatch):
    """Peak allocated bytes (tracemalloc) grow by far less than one record per extra record.

    NDJSON and pages do not grow at all; a zip grows by its central directory (Python's zipfile
    reads it whole: about 0.6 KB per member), never by the records themselves.
    """
    import tracemalloc

    peaks = []
    for n in (200, 1000):
        path = _write(tmp_path, container, n, monkeypatch)
        gc.collect()
        tracemalloc.start()
        count = sum(1 for res in read_path(path) if res.ok)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert count == n
    per_record = (peaks[1] - peaks[0]) / 800
    assert per_record < SMALL.stat().st_size / 4, (peaks, per_record)
    if container != "zip":
        assert peaks[1] <= 1.2 * peaks[0], peaks
