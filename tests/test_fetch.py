"""Issue 15: `trialexport fetch` and `convert NCT…` over real HTTP against a local replay of the registry API
(tests/ctgov_replay.py): single ids, paged queries, 404, 429 with Retry-After, 5xx then success, every kind of
network failure as one line (never a traceback), the cache, and flat memory on a 10,000-study query."""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import DATA, cli
from ctgov_replay import Replay

from trialexport.remote.ctgov import Registry
from trialexport.remote.http import Client


@pytest.fixture(scope="module")
def server() -> Iterator[Replay]:
    replay = Replay()
    yield replay
    replay.stop()


def fetch(server: Replay, *args: object, prefix: str = "") -> object:
    return cli("fetch", "--rate", 0, *args, env={"TRIALEXPORT_CTGOV_API": f"{server.url}{prefix}/api/v2"})


def corpus_with(status: str) -> set[str]:
    """NCT ids of the corpus records with this overall status, read from the records themselves."""
    out = set()
    for path in (DATA / "ctgov-v2").glob("*.json"):
        study = json.loads(path.read_bytes())
        if study["protocolSection"]["statusModule"]["overallStatus"] == status:
            out.add(path.stem)
    return out


def test_ids_are_written_as_the_api_returns_them(server: Replay, tmp_path: Path) -> None:
    ran = fetch(server, "NCT04523987", "https://clinicaltrials.gov/study/NCT00184067", "-o", tmp_path)
    assert ran.returncode == 0, ran.stderr
    for nct in ("NCT04523987", "NCT00184067"):
        assert (tmp_path / f"{nct}.json").read_bytes() == (DATA / "ctgov-v2" / f"{nct}.json").read_bytes()
    assert "2 studies fetched" in ran.stderr


def test_a_paged_query_streams_every_page_with_its_token(server: Replay, tmp_path: Path) -> None:
    expected = corpus_with("COMPLETED")
    assert len(expected) > 4  # at least three pages of 2
    before = len(server.log)
    ran = fetch(server, "--query", "", "--filter-status", "completed", "--page-size", 2, "-o", tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert {p.stem for p in tmp_path.glob("*.json")} == expected
    asked = server.log[before:]
    assert len(asked) == -(-len(expected) // 2) and sum("pageToken=" in a for a in asked) == len(asked) - 1
    assert all("filter.overallStatus=COMPLETED" in a for a in asked)


def test_max_and_ndjson_on_stdout(server: Replay) -> None:
    ran = fetch(server, "--query", "cancer", "--page-size", 3, "--max", 5, "-o", "-")
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert len(lines) == 5 and all("cancer" in line.lower() for line in lines)
    assert len({json.loads(line)["protocolSection"]["identificationModule"]["nctId"] for line in lines}) == 5


def test_an_unknown_id_fails_alone(server: Replay, tmp_path: Path) -> None:
    ran = fetch(server, "NCT99999999", "NCT04523987", "-o", tmp_path)
    assert ran.returncode == 1
    assert "NCT99999999: error FETCH-NOT-FOUND:" in ran.stderr and "Traceback" not in ran.stderr
    assert (tmp_path / "NCT04523987.json").is_file() and not (tmp_path / "NCT99999999.json").exists()


def test_a_malformed_id_is_a_usage_error(server: Replay, tmp_path: Path) -> None:
    ran = fetch(server, "NCT123", "-o", tmp_path)
    assert ran.returncode == 2 and "not an NCT id" in ran.stderr
    assert not list(tmp_path.iterdir())


def test_429_waits_as_retry_after_says(server: Replay, tmp_path: Path) -> None:
    start = time.monotonic()
    ran = fetch(server, "NCT00711542", "-o", tmp_path, prefix="/r429")
    assert ran.returncode == 0, ran.stderr
    assert time.monotonic() - start >= 1.0  # Retry-After: 1
    assert server.hits["/r429/api/v2/studies/NCT00711542?format=json"] == 2


def test_5xx_then_success(server: Replay, tmp_path: Path) -> None:
    client = Client(backoff=0.05, rate=0)
    with client:
        data = Registry(client, f"{server.url}/r503/api/v2").study("NCT01438047")
    assert data == (DATA / "ctgov-v2" / "NCT01438047.json").read_bytes()
    assert server.hits["/r503/api/v2/studies/NCT01438047?format=json"] == 3


@pytest.mark.parametrize("api, expect", [
    ("http://127.0.0.1:9/api/v2", "connection refused"),
    ("http://registry.invalid/api/v2", "DNS failure"),
    ("https://{host}/api/v2", "TLS error"),
    ("http://{host}/slow/api/v2", "timed out"),
    ("http://{host}/html/api/v2", "FETCH-BAD-ANSWER"),
])
def test_network_failures_are_one_line_naming_the_url(server: Replay, tmp_path: Path, api: str, expect: str) -> None:
    url = api.format(host=server.url.removeprefix("http://"))
    ran = cli("fetch", "NCT04523987", "--rate", 0, "--timeout", 0.5, "--retries", 1, "--api-url", url, "-o", tmp_path)
    assert ran.returncode == 1
    line = next(line for line in ran.stderr.splitlines() if "error" in line)
    assert line.startswith("NCT04523987: error FETCH-") and expect in line and url.split("/api")[0] in line
    assert "Traceback" not in ran.stderr


def test_the_cache_is_used_while_the_last_update_date_holds(server: Replay, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = fetch(server, "NCT05932303", "--cache", cache, "-o", tmp_path / "a")
    before = len(server.log)
    second = fetch(server, "NCT05932303", "--cache", cache, "-o", tmp_path / "b")
    assert first.returncode == second.returncode == 0
    assert (tmp_path / "a" / "NCT05932303.json").read_bytes() == (tmp_path / "b" / "NCT05932303.json").read_bytes()
    asked = server.log[before:]
    assert len(asked) == 1 and "fields=" in asked[0]  # only the small last-update probe
    assert list(cache.glob("NCT05932303/*.json"))


def test_convert_fetches_ids_and_urls_first(server: Replay, tmp_path: Path) -> None:
    ran = cli("convert", "NCT04523987", "https://clinicaltrials.gov/study/NCT00184067", "NCT99999999",
              "--to", "fhir-r4", "-o", tmp_path, "--rate", 0, env={"TRIALEXPORT_CTGOV_API": f"{server.url}/api/v2"})
    assert ran.returncode == 1  # the unknown id
    assert "NCT99999999: error FETCH-NOT-FOUND" in ran.stderr
    written = sorted(p.name for p in tmp_path.glob("NCT*.json"))
    assert written == ["NCT00184067.fhir-r4.json", "NCT04523987.fhir-r4.json"]


def test_memory_stays_flat_on_a_10000_study_query(server: Replay, tmp_path: Path) -> None:
    def peak(total: int) -> int:
        tracemalloc.start()
        with Client(rate=0) as client, (tmp_path / f"{total}.ndjson").open("wb") as sink:
            count = 0
            for data in Registry(client, f"{server.url}/gen/api/v2").search(str(total), page_size=500):
                sink.write(data + b"\n")
                count += 1
        assert count == total
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(1_000), peak(10_000)
    assert large < 1.5 * small, (small, large)  # ten times the studies, not ten times the memory
    assert (tmp_path / "10000.ndjson").stat().st_size > 10_000 * 2_000
