"""The ClinicalTrials.gov API v2 (``/studies/{nctId}`` and the paged ``/studies`` search), as trialexport uses it.

Base URL: the ``api_url`` argument, else the environment variable ``TRIALEXPORT_CTGOV_API``, else the public API.
Search results are streamed page by page (``pageToken``), so a query of any size is never held in memory.
The optional cache (``cache_dir``) keeps each study as ``<dir>/<NCT id>/<last update posted date>.json``: a cached
study is used only while the registry's last update date is unchanged (one small ``fields=`` request checks it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .http import Client, RemoteError

DEFAULT_API = "https://clinicaltrials.gov/api/v2"
ENV_API = "TRIALEXPORT_CTGOV_API"
NCT_ID = re.compile(r"^NCT\d{8}$", re.IGNORECASE)
_STUDY_URL = re.compile(r"^https?://(?:www\.)?clinicaltrials\.gov/(?:study|ct2/show|api/v2/studies)/(NCT\d{8})\b",
                        re.IGNORECASE)
_LAST_UPDATE = "protocolSection.statusModule.lastUpdatePostDateStruct"
MAX_PAGE = 1000  # the API's own ceiling for pageSize


def api_url(given: str | None = None) -> str:
    """The API base URL to use (no trailing slash)."""
    return (given or os.environ.get(ENV_API) or DEFAULT_API).rstrip("/")


def study_id(text: str) -> str | None:
    """The NCT id named by an id (any case) or a registry study URL, or ``None``."""
    text = text.strip()
    if NCT_ID.match(text):
        return text.upper()
    m = _STUDY_URL.match(text)
    return m[1].upper() if m else None


def looks_remote(text: str) -> bool:
    """Whether a command-line input names a registry study rather than a file (``NCT…`` or a study URL)."""
    return study_id(text) is not None or text.lower().startswith(("http://", "https://"))


def _last_update(study: Any) -> str | None:
    node = study
    for key in _LAST_UPDATE.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    date = node.get("date") if isinstance(node, dict) else None
    return date if isinstance(date, str) and re.fullmatch(r"[0-9-]{4,10}", date) else None


def _json(data: bytes, url: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        head = " ".join(data[:80].decode("utf-8", "replace").split())
        raise RemoteError("FETCH-BAD-ANSWER", f"{url}: the answer is not JSON ({head!r}...)", url) from None


@dataclass
class Registry:
    """A ClinicalTrials.gov API v2 endpoint reached through a polite :class:`~.http.Client`."""

    client: Client
    base: str = DEFAULT_API
    cache_dir: Path | None = None

    def study(self, nct_id: str) -> bytes:
        """One study's JSON as the API returns it (``FETCH-NOT-FOUND`` for an unknown id)."""
        url = f"{self.base}/studies/{nct_id}"
        if self.cache_dir is not None:
            probe = self.client.request("GET", url, params={"fields": "NCTId|LastUpdatePostDate"})
            date = _last_update(_json(probe.content, url))
            cached = self.cache_dir / nct_id / f"{date}.json"
            if date and cached.is_file():
                return cached.read_bytes()
        data = self.client.request("GET", url, params={"format": "json"}).content
        study = _json(data, url)
        if not (isinstance(study, dict) and isinstance(study.get("protocolSection"), dict)):
            raise RemoteError("FETCH-BAD-ANSWER", f"{url}: the answer is not a study record", url)
        self._keep(nct_id, study, data)
        return data

    def search(self, query: str | None = None, statuses: tuple[str, ...] = (), *, max_studies: int | None = None,
               page_size: int = 200) -> Iterator[bytes]:
        """Each study of a search as JSON bytes, page by page (only one page in memory at a time)."""
        url = f"{self.base}/studies"
        params: dict[str, Any] = {"format": "json", "pageSize": min(page_size, MAX_PAGE)}
        if query:
            params["query.term"] = query
        if statuses:
            params["filter.overallStatus"] = "|".join(statuses)
        sent = 0
        while max_studies is None or sent < max_studies:
            if max_studies is not None:
                params["pageSize"] = min(params["pageSize"], max_studies - sent)
            page = _json(self.client.request("GET", url, params=params).content, url)
            studies = page.get("studies") if isinstance(page, dict) else None
            if not isinstance(studies, list):
                raise RemoteError("FETCH-BAD-ANSWER", f"{url}: the answer is not a page of studies", url)
            for study in studies[: None if max_studies is None else max_studies - sent]:
                data = orjson.dumps(study)
                nct = (study.get("protocolSection") or {}).get("identificationModule", {}).get("nctId")
                if isinstance(nct, str) and NCT_ID.match(nct):
                    self._keep(nct, study, data)
                sent += 1
                yield data
            token = page.get("nextPageToken")
            if not token:
                return
            params["pageToken"] = token

    def _keep(self, nct_id: str, study: Any, data: bytes) -> None:
        if self.cache_dir is None or not (date := _last_update(study)):
            return
        from trialexport.atomic import write_atomic

        target = self.cache_dir / nct_id / f"{date}.json"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, data)
