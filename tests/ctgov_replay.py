"""A local ClinicalTrials.gov API v2 replay server for the fetch tests: real HTTP on 127.0.0.1, the API's shapes.

- ``/api/v2/studies/{nctId}``: the corpus record's bytes (``tests/data/ctgov-v2``), 404 for an unknown id; with
  ``fields=`` only the NCT id and last update date (as the API narrows a record);
- ``/api/v2/studies?query.term=&filter.overallStatus=A|B&pageSize=&pageToken=``: corpus records whose text contains
  the term (case-insensitive) and whose overall status is listed, page by page with ``nextPageToken``;
- ``/gen/api/v2/studies?query.term=<N>``: N generated studies (re-keyed NCT99xxxxxx), for memory tests;
- fault prefixes in front of ``/api/v2``: ``/r429`` (first request of each URL: 429 + ``Retry-After: 1``),
  ``/r503`` (first two: 503), ``/html`` (a 200 HTML page), ``/slow`` (answers after 3 s).

Every request is logged in ``server.log`` (path and query), so tests can assert what the client asked.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

CORPUS_DIR = Path(__file__).resolve().parent / "data" / "ctgov-v2"


def _status(study: dict[str, Any]) -> str:
    return study.get("protocolSection", {}).get("statusModule", {}).get("overallStatus", "")


def _generated(n: int) -> dict[str, Any]:
    return {"protocolSection": {
        "identificationModule": {"nctId": f"NCT99{n:06d}", "briefTitle": f"Generated study {n}"},
        "statusModule": {"overallStatus": "COMPLETED", "lastUpdatePostDateStruct": {"date": "2024-01-02"}},
        "descriptionModule": {"briefSummary": "x" * 2000},
    }}


class Replay(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.records = {p.stem: p.read_bytes() for p in sorted(CORPUS_DIR.glob("*.json"))}
        self.log: list[str] = []
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: Replay

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that gave up (the timeout test)
            self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        with self.server.lock:
            self.server.log.append(self.path)
            self.server.hits[self.path] += 1
            hits = self.server.hits[self.path]
        path = parts.path
        fault = ""
        for prefix in ("/r429", "/r503", "/html", "/slow", "/gen"):
            if path.startswith(prefix + "/"):
                fault, path = prefix, path[len(prefix):]
        if fault == "/r429" and hits == 1:
            return self._send(429, b'{"message": "Too Many Requests"}', Retry_After="1")
        if fault == "/r503" and hits <= 2:
            return self._send(503, b"Service Unavailable", "text/plain")
        if fault == "/html":
            return self._send(200, b"<!DOCTYPE html><html><body>Maintenance</body></html>", "text/html")
        if fault == "/slow":
            time.sleep(3)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if path.startswith("/api/v2/studies/"):
            return self._study(path.rsplit("/", 1)[1], query)
        if path == "/api/v2/studies":
            return self._page(query, generated=fault == "/gen")
        return self._send(404, b'{"message": "not found"}')

    def _study(self, nct: str, query: dict[str, str]) -> None:
        data = self.server.records.get(nct)
        if data is None:
            return self._send(404, f"Study {nct} not found".encode(), "text/plain")
        if "fields" in query:
            study = json.loads(data)
            status = study["protocolSection"]["statusModule"]
            data = json.dumps({"protocolSection": {
                "identificationModule": {"nctId": nct},
                "statusModule": {"lastUpdatePostDateStruct": status.get("lastUpdatePostDateStruct")}}}).encode()
        return self._send(200, data)

    def _page(self, query: dict[str, str], generated: bool) -> None:
        size = int(query.get("pageSize") or 10)
        start = int(query.get("pageToken", "o0")[1:])
        if generated:
            total = int(query.get("query.term", "0"))
            studies = [_generated(n) for n in range(start, min(start + size, total))]
            more = start + size < total
        else:
            term = query.get("query.term", "").casefold()
            wanted = set(filter(None, query.get("filter.overallStatus", "").split("|")))
            matching = [json.loads(data) for data in self.server.records.values() if term in data.decode().casefold()]
            matching = [s for s in matching if not wanted or _status(s) in wanted]
            studies = matching[start:start + size]
            more = start + size < len(matching)
        page: dict[str, Any] = {"studies": studies}
        if more:
            page["nextPageToken"] = f"o{start + size}"
        return self._send(200, json.dumps(page).encode())
