"""Load trialexport's FHIR Bundles into a FHIR server: which files, in which order, what the server answered.

Files: ``*.fhir-r4.json`` / ``*.fhir-r5.json`` (a folder is searched recursively) with the parts
``<id>.fhir-r4.part-<k>.json`` of a split Bundle sent after their part 1, in part order. The FHIR version of a
file is read from its name (as ``validate`` does) and checked against the server's ``/metadata`` ``fhirVersion``
before anything is sent. Each Bundle is POSTed to the server base (FHIR RESTful API, "transaction" / "batch");
``max_entries`` re-splits it on the fly (:func:`trialexport.formats.fhir.split.split`, loading order kept), and
``as_batch`` sends a transaction as a batch (references made literal ``Type/id``).
HTTP manners (timeouts, retries on 429/5xx honouring ``Retry-After``) are :class:`trialexport.remote.http.Client`'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from trialexport.formats.fhir.split import literal_references, split
from trialexport.formats.fhir.versions import release_of_fhir_version, release_of_name
from trialexport.readers.split_parts import later_parts, read_with_part_one
from trialexport.remote.http import Client, RemoteError

ENV_TOKEN = "TRIALEXPORT_FHIR_TOKEN"
_REPORTED = frozenset({"warning", "error", "fatal"})
ISSUE_CODE = "PUSH-ISSUE"


def bundle_files(paths: list[Path]) -> list[list[Path]]:
    """The Bundles to send, each as its files in sending order (part 1, part 2, ...), sorted by path."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*.json")) if release_of_name(p.name))
        else:
            found.append(path)
    groups = []
    for path in found:
        if not read_with_part_one(path):
            groups.append([path, *later_parts(path)])
    return groups


@dataclass
class Issue:
    """One OperationOutcome issue: where (``entry`` index in the Bundle sent, or ``None`` for the whole Bundle)."""

    severity: str
    code: str
    text: str
    entry: int | None = None
    resource: str | None = None

    def line(self) -> str:
        where = f"entry {self.entry}" + (f" ({self.resource})" if self.resource else "") if self.entry is not None \
            else "bundle"
        return f"{where}: {self.severity} {ISSUE_CODE} [{self.code}]: {self.text}"


@dataclass
class Sent:
    """What happened to one Bundle (or one part of it) sent to the server."""

    label: str
    entries: int
    status: int | None = None
    created: int = 0
    updated: int = 0
    other: int = 0
    issues: list[Issue] = field(default_factory=list)
    error: str | None = None  # a diagnostic code: PUSH-REJECTED, PUSH-FILE, FETCH-NETWORK, ...
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and not any(i.severity in ("error", "fatal") for i in self.issues)

    def as_json(self) -> dict[str, Any]:
        return {"bundle": self.label, "entries": self.entries, "status": self.status, "created": self.created,
                "updated": self.updated, "other": self.other, "error": self.error, "message": self.message,
                "issues": [i.__dict__ for i in self.issues]}


def _issues(outcome: Any, entry: int | None, resource: str | None) -> list[Issue]:
    if not isinstance(outcome, dict) or outcome.get("resourceType") != "OperationOutcome":
        return []
    found = []
    for issue in outcome.get("issue") or []:
        severity = str(issue.get("severity", ""))
        if severity not in _REPORTED:
            continue
        text = (issue.get("details") or {}).get("text") or issue.get("diagnostics") or ""
        where = ",".join(issue.get("expression") or issue.get("location") or [])
        found.append(Issue(severity, str(issue.get("code", "")), f"{text}" + (f" @ {where}" if where else ""),
                           entry, resource))
    return found


def _resource_label(entry: dict[str, Any]) -> str | None:
    resource = entry.get("resource") if isinstance(entry, dict) else None
    if isinstance(resource, dict) and resource.get("id"):
        return f"{resource.get('resourceType')}/{resource['id']}"
    return None


def read_answer(sent: Sent, bundle: dict[str, Any], status: int, body: bytes) -> Sent:
    """Fill ``sent`` from the server's answer: created (``201``) / updated (``200``) counts from each
    ``entry.response.status`` of the (transaction|batch)-response, and every warning/error issue with its entry."""
    sent.status = status
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        answer = None
    if status >= 400:
        sent.error, sent.message = "PUSH-REJECTED", f"HTTP {status}"
        sent.issues = _issues(answer, None, None)
        if not sent.issues:
            sent.message += f" ({' '.join(body[:160].decode('utf-8', 'replace').split())})"
        return sent
    if not (isinstance(answer, dict) and answer.get("resourceType") == "Bundle"):
        sent.error, sent.message = "FETCH-BAD-ANSWER", f"HTTP {status} but the answer is not a response Bundle"
        return sent
    sent_entries = bundle.get("entry") or []
    for n, entry in enumerate(answer.get("entry") or []):
        response = entry.get("response") or {}
        code = str(response.get("status", "")).split(" ")[0]
        resource = _resource_label(sent_entries[n]) if n < len(sent_entries) else None
        if code == "201":
            sent.created += 1
        elif code == "200":
            sent.updated += 1
        else:
            sent.other += 1
            if code[:1] in ("4", "5") and not response.get("outcome"):
                sent.issues.append(Issue("error", "processing", f"HTTP {response.get('status')}", n, resource))
        sent.issues.extend(_issues(response.get("outcome"), n, resource))
    return sent


def prepared(bundle: dict[str, Any], max_entries: int | None, as_batch: bool) -> list[dict[str, Any]]:
    """The Bundle as it will be sent: re-split to ``max_entries``, converted to a batch when asked."""
    parts = split(bundle, max_entries) if max_entries else [bundle]
    if as_batch:
        for part in parts:
            part["type"] = "batch"
            literal_references(part)
    return parts


def load_bundle(path: Path) -> dict[str, Any]:
    """A transaction or batch Bundle read from ``path`` (:class:`RemoteError` ``PUSH-FILE`` otherwise)."""
    try:
        bundle = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise RemoteError("PUSH-FILE", f"{path}: cannot be read ({exc.strerror or exc})", str(path)) from None
    except orjson.JSONDecodeError as exc:
        raise RemoteError("PUSH-FILE", f"{path}: not JSON ({exc})", str(path)) from None
    if not (isinstance(bundle, dict) and bundle.get("resourceType") == "Bundle"):
        raise RemoteError("PUSH-FILE", f"{path}: not a FHIR Bundle", str(path))
    if bundle.get("type") not in ("transaction", "batch"):
        raise RemoteError("PUSH-FILE", f"{path}: a {bundle.get('type')!r} Bundle, not a transaction or batch "
                          "(convert with --bundle transaction)", str(path))
    return bundle


@dataclass
class Server:
    """A FHIR server's base URL and the client that talks to it."""

    base: str
    client: Client

    def fhir_version(self) -> str:
        """The ``fhirVersion`` of the server's CapabilityStatement (``GET [base]/metadata``)."""
        url = f"{self.base.rstrip('/')}/metadata"
        response = self.client.request("GET", url, headers={"Accept": "application/fhir+json"})
        try:
            statement = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise RemoteError("FETCH-BAD-ANSWER", f"{url}: not JSON (is this a FHIR server base?)", url) from None
        version = statement.get("fhirVersion") if isinstance(statement, dict) else None
        if not isinstance(version, str):
            raise RemoteError("FETCH-BAD-ANSWER", f"{url}: no CapabilityStatement.fhirVersion", url)
        return version

    def send(self, bundle: dict[str, Any], label: str) -> Sent:
        """POST one Bundle to the base; the outcome (network failures as ``error`` codes, never raised)."""
        sent = Sent(label, len(bundle.get("entry") or []))
        try:
            response = self.client.request("POST", self.base.rstrip("/"), answer_errors=True,
                                           content=orjson.dumps(bundle),
                                           headers={"Content-Type": "application/fhir+json",
                                                    "Accept": "application/fhir+json"})
        except RemoteError as exc:
            sent.status, sent.error, sent.message = exc.status, exc.code, exc.message
            return sent
        return read_answer(sent, bundle, response.status_code, response.content)


def version_mismatch(server_version: str, releases: set[str]) -> str | None:
    """Why the files cannot go to this server (``None`` when every file's release matches its fhirVersion)."""
    if releases and releases != {release_of_fhir_version(server_version)}:
        names = ", ".join(sorted(r.upper() for r in releases))
        return f"the server speaks FHIR {server_version}; the files are {names}"
    return None


def plan(groups: list[list[Path]], max_entries: int | None, as_batch: bool) -> Iterator[tuple[str, Any]]:
    """``(label, bundle)`` for every Bundle to send in order, or ``(label, RemoteError)`` for a file that cannot be."""
    for files in groups:
        for path in files:
            try:
                parts = prepared(load_bundle(path), max_entries, as_batch)
            except RemoteError as exc:
                yield str(path), exc
                continue
            for k, part in enumerate(parts, start=1):
                yield (str(path) if len(parts) == 1 else f"{path} [{k}/{len(parts)}]"), part
