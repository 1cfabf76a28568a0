"""``trialexport push`` against a real FHIR engine on 127.0.0.1 (tests/fhir_engine.py: Medplum's fhir-router, R4,
in-memory, every resource validated against the R4 StructureDefinitions).

Every corpus record (tests/data/ctgov-v2) is converted to R4 transaction Bundles once and pushed with
``--max-entries 50``. What the server then holds is checked against the source records, reasoned by hand: one
ResearchStudy per record; one eligibility Group per record with an eligibility module; one Location per distinct
site (facility, city, state, zip, country, geo point: the same site in two studies is one resource); one
Organization per distinct (name, class) among the lead sponsors, collaborators and the responsible organizations
(identificationModule.organization). Searches by NCT id, status, lead sponsor name and site country return the
records whose source says so.
"""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conftest import CORPUS, cli
from fhir_engine import Engine, missing, running

TYPES = ("ResearchStudy", "Location", "Organization", "Group", "PlanDefinition", "Practitioner", "PractitionerRole")


def _protocol(path: Path) -> dict[str, Any]:
    return json.loads(path.read_bytes())["protocolSection"]


SOURCES = {p.stem: _protocol(p) for p in CORPUS}


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    why = missing()
    if why:
        pytest.fail(why)
    with running() as started:
        yield started


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("r4")
    ran = cli("convert", CORPUS[0].parent, "--to", "fhir-r4", "--bundle", "transaction", "-o", out, "-q")
    assert ran.returncode == 0, ran.stderr
    assert len(list(out.glob("*.fhir-r4.json"))) == len(CORPUS)
    return out


def _push(engine: Engine, *args: object, env: dict[str, str] | None = None) -> Any:
    return cli("push", *args, "--server", engine.base, "--format", "json", env=env)


def _counts(engine: Engine) -> dict[str, int]:
    return {t: engine.count(t) for t in TYPES}


@pytest.fixture(scope="module")
def loaded(engine: Engine, bundles: Path) -> dict[str, Any]:
    """The corpus pushed twice; the reports and the counts after each push."""
    first = _push(engine, bundles, "--max-entries", 50)
    after_first = _counts(engine)
    second = _push(engine, bundles, "--max-entries", 50)
    return {"first": first, "second": second, "counts": [after_first, _counts(engine)],
            "validation": engine.get("$validation-report")}


def _expected_sites() -> set[tuple[Any, ...]]:
    sites = set()
    for p in SOURCES.values():
        for site in (p.get("contactsLocationsModule") or {}).get("locations") or []:
            geo = site.get("geoPoint") or {}
            sites.add((site.get("facility"), site.get("city"), site.get("state"), site.get("zip"),
                       site.get("country"), geo.get("lat"), geo.get("lon")))
    return sites


def _expected_organizations() -> set[tuple[str, str]]:
    found = set()
    for p in SOURCES.values():
        sc = p.get("sponsorCollaboratorsModule") or {}
        org = (p.get("identificationModule") or {}).get("organization") or {}
        for item in [sc.get("leadSponsor") or {}, *(sc.get("collaborators") or [])]:
            found.add((item.get("name"), item.get("class")))
        if org.get("fullName"):
            found.add((org["fullName"], org.get("class")))
    return found


def test_every_corpus_record_is_accepted_in_parts_of_at_most_50(loaded: dict[str, Any]) -> None:
    ran = loaded["first"]
    assert ran.returncode == 0, ran.stdout[-2000:]
    report = json.loads(ran.stdout)
    assert report["failed"] == 0
    assert report["fhirVersion"] == "4.0.1"
    assert all(r["status"] == 200 and r["error"] is None and r["issues"] == [] for r in report["results"])
    assert all(r["entries"] <= 50 for r in report["results"])
    # NCT05097287 lists 240 sites: its Bundle needs several parts, sent in order
    parts = [r["bundle"] for r in report["results"] if "NCT05097287" in r["bundle"]]
    assert len(parts) > 1 and parts == sorted(parts, key=lambda b: int(b.split("[")[1].split("/")[0]))
    # every entry answered 200 or 201 (this engine answers 200 to a PUT that creates: counted as updated)
    assert report["created"] + report["updated"] == sum(r["entries"] for r in report["results"])


def test_the_server_holds_what_the_source_records_describe(loaded: dict[str, Any]) -> None:
    counts = loaded["counts"][0]
    assert counts["ResearchStudy"] == len(SOURCES)
    assert counts["Location"] == len(_expected_sites())
    assert counts["Organization"] == len(_expected_organizations())
    # one eligibility Group per record that has an eligibilityModule (mappings/fhir/resources.csv: {sid}-eligibility)
    assert counts["Group"] == sum(1 for p in SOURCES.values() if p.get("eligibilityModule"))


def test_a_second_push_changes_no_counts(loaded: dict[str, Any]) -> None:
    assert loaded["second"].returncode == 0
    assert json.loads(loaded["second"].stdout)["failed"] == 0
    assert loaded["counts"][1] == loaded["counts"][0]


def test_the_engine_validated_every_resource_and_refused_none(loaded: dict[str, Any]) -> None:
    report = loaded["validation"]
    entries = sum(r["entries"] for r in json.loads(loaded["first"].stdout)["results"])
    assert report["refused"] == 0, report["issues"][:20]
    assert report["validated"] == 2 * entries  # every PUT of both pushes


def test_search_by_nct_identifier(engine: Engine, loaded: dict[str, Any]) -> None:
    for nct in ("NCT05097287", "NCT00184067", "NCT07021677"):
        assert engine.ids(f"ResearchStudy?identifier={nct}") == {nct.lower()}
    assert engine.ids("ResearchStudy?identifier=http://clinicaltrials.gov|NCT04523987") == {"nct04523987"}


def test_search_by_status(engine: Engine, loaded: dict[str, Any]) -> None:
    # overallStatus COMPLETED is R4 ResearchStudy.status "completed"; WITHDRAWN is "withdrawn"
    for source, fhir in (("COMPLETED", "completed"), ("WITHDRAWN", "withdrawn")):
        expected = {n.lower() for n, p in SOURCES.items() if p["statusModule"]["overallStatus"] == source}
        assert engine.ids(f"ResearchStudy?status={fhir}") == expected


def test_search_by_lead_sponsor_name(engine: Engine, loaded: dict[str, Any]) -> None:
    # R4 ResearchStudy.sponsor is the lead sponsor; a string search matches case-insensitively from the start
    for name in ("Sanofi", "Tata Memorial", "Massachusetts General Hospital", "Merck Sharp & Dohme"):
        expected = {n.lower() for n, p in SOURCES.items()
                    if p["sponsorCollaboratorsModule"]["leadSponsor"]["name"].lower().startswith(name.lower())}
        assert expected, name
        assert engine.ids(f"ResearchStudy?sponsor.name={quote(name)}") == expected


def test_search_by_site_country_code(engine: Engine, loaded: dict[str, Any]) -> None:
    # ISO 3166-1 alpha-2 codes of the registry's country names, written by hand
    for code, country in (("DE", "Germany"), ("JP", "Japan"), ("BR", "Brazil")):
        studies = {n.lower() for n, p in SOURCES.items()
                   if any(s.get("country") == country for s in (p.get("contactsLocationsModule") or {})
                          .get("locations") or [])}
        sites = {s for s in _expected_sites() if s[4] == country}
        assert studies, country
        assert engine.ids(f"ResearchStudy?site.address-country={code}") == studies
        assert engine.count(f"Location?address-country={code}") == len(sites)


def test_an_invalid_resource_is_refused_with_its_issues(engine: Engine, loaded: dict[str, Any],
                                                        tmp_path: Path) -> None:
    bad = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:0b1f0c53-1d1a-4b8e-9a55-3f5d3a1b0001",
         "resource": {"resourceType": "Location", "id": "bad-location", "name": 7, "mode": "instance"},
         "request": {"method": "PUT", "url": "Location/bad-location"}}]}
    (tmp_path / "bad.fhir-r4.json").write_text(json.dumps(bad))
    before, refused = engine.count("Location"), engine.get("$validation-report")["refused"]
    ran = cli("push", tmp_path, "--server", engine.base)
    assert ran.returncode == 1
    assert "bad.fhir-r4.json: error PUSH-REJECTED: HTTP 400" in ran.stderr
    wrong = "error PUSH-ISSUE [structure]: Invalid JSON type: expected string, but got number @ Location.name"
    assert f"  bundle: {wrong}" in ran.stderr.splitlines()
    ran = cli("push", tmp_path, "--server", engine.base, "--bundle", "batch")  # a batch answers per entry
    assert ran.returncode == 1
    assert f"  entry 0 (Location/bad-location): {wrong}" in ran.stderr.splitlines()
    assert engine.count("Location") == before
    assert engine.get("$validation-report")["refused"] == refused + 2


def test_batch_bundles_and_split_part_files_are_accepted(engine: Engine, bundles: Path, tmp_path: Path) -> None:
    ran = cli("convert", CORPUS[0].parent / "NCT05097287.json", "--to", "fhir-r4", "--bundle", "transaction",
              "--max-entries", 40, "-o", tmp_path, "-q")
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "NCT05097287.fhir-r4.part-2.json").is_file()
    before = _counts(engine)
    ran = _push(engine, tmp_path)  # the parts as files, in part order
    report = json.loads(ran.stdout)
    assert ran.returncode == 0 and report["failed"] == 0
    assert [r["bundle"].split("/")[-1] for r in report["results"]][:2] == [
        "NCT05097287.fhir-r4.json", "NCT05097287.fhir-r4.part-2.json"]
    ran = _push(engine, bundles / "NCT05097287.fhir-r4.json", "--bundle", "batch", "--max-entries", 50)
    assert ran.returncode == 0 and json.loads(ran.stdout)["failed"] == 0
    assert _counts(engine) == before  # the same ids: nothing new


def test_fhir_version_mismatch_sends_nothing(engine: Engine, bundles: Path, tmp_path: Path) -> None:
    shutil.copy(bundles / "NCT00184067.fhir-r4.json", tmp_path / "NCT00184067.fhir-r5.json")
    ran = cli("push", tmp_path, "--server", engine.base)
    assert ran.returncode == 1
    assert "error PUSH-VERSION: the server speaks FHIR 4.0.1; the files are R5; nothing sent" in ran.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_dry_run_sends_nothing_and_never_prints_header_values(bundles: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}/fhir"  # nothing listens: a request would fail
    ran = cli("push", bundles / "NCT05097287.fhir-r4.json", "--server", url, "--max-entries", 50, "--dry-run",
              "--header", "X-Api-Key: hunter2", env={"TRIALEXPORT_FHIR_TOKEN": "s3cr3t-token"})
    assert ran.returncode == 0, ran.stderr
    assert "NCT05097287.fhir-r4.json [1/" in ran.stderr
    assert "would POST a transaction Bundle of 50 entries" in ran.stderr
    assert "headers: Authorization, X-Api-Key" in ran.stderr
    assert "hunter2" not in ran.stderr + ran.stdout and "s3cr3t" not in ran.stderr + ran.stdout


def test_connection_refused_is_one_line_without_the_token(bundles: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}/fhir"
    ran = cli("push", bundles, "--server", url, "--retries", 0, env={"TRIALEXPORT_FHIR_TOKEN": "s3cr3t-token"})
    assert ran.returncode == 1
    assert f"{url}: error FETCH-NETWORK: {url}/metadata: connection refused" in ran.stderr
    assert "Traceback" not in ran.stderr and "s3cr3t" not in ran.stderr


def test_usage_errors_exit_2(bundles: Path) -> None:
    assert cli("push", bundles, "--server", "ftp://x").returncode == 2
    assert cli("push", bundles, "--server", "http://127.0.0.1:9/fhir", "--header", "no colon").returncode == 2
    assert cli("push", "--server", "http://127.0.0.1:9/fhir").returncode == 2


def test_a_server_answering_html_is_one_line(bundles: Path) -> None:
    from ctgov_replay import Replay

    server = Replay()  # its /html prefix answers every path with a 200 HTML page
    try:
        ran = cli("push", bundles, "--server", f"{server.url}/html/fhir", "--retries", 0)
    finally:
        server.stop()
    assert ran.returncode == 1
    assert f"error FETCH-BAD-ANSWER: {server.url}/html/fhir/metadata: not JSON (is this a FHIR server base?)" \
        in ran.stderr
    assert "Traceback" not in ran.stderr
