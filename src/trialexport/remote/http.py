"""One polite HTTP client for every remote call: timeouts, retries with backoff on 429/5xx honouring
``Retry-After``, a minimum interval between requests, gzip, and a User-Agent naming trialexport and its version.

Failures become :class:`RemoteError` with a diagnostic code and the URL: ``FETCH-NETWORK`` (connection refused, DNS
failure, timeout, TLS error), ``FETCH-HTTP`` (an HTTP error status after the retries), ``FETCH-NOT-FOUND`` (404).
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trialexport import __version__

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"trialexport/{__version__} (+https://pypi.org/project/trialexport/)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class RemoteError(Exception):
    """A remote call that failed: ``code`` (a diagnostic code), a one-line ``message`` naming the URL."""

    def __init__(self, code: str, message: str, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.url, self.status = code, message, url, status


@dataclass
class Client:
    """``httpx.Client`` with the project's manners. ``rate``: requests per second at most (0: no limit)."""

    timeout: float = 30.0
    retries: int = 4
    rate: float = 0.0
    backoff: float = 1.0  # seconds before the first retry when the server gives no Retry-After; doubles each time
    max_wait: float = 120.0  # a Retry-After longer than this fails the call instead of stalling the run
    headers: dict[str, str] = field(default_factory=dict)
    _http: Any = None
    _last: float = 0.0

    def _client(self) -> httpx.Client:
        if self._http is None:
            import httpx

            self._http = httpx.Client(timeout=self.timeout, follow_redirects=True,
                                      headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip", **self.headers})
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """The response (any status below 400, and 404 raised as ``FETCH-NOT-FOUND``), after polite retries."""
        import httpx

        wait = self.backoff
        for attempt in range(self.retries + 1):
            self._pace()
            try:
                response = self._client().request(method, url, **kwargs)
            except httpx.TimeoutException as exc:
                failure = RemoteError("FETCH-NETWORK", f"{url}: timed out ({type(exc).__name__}) after "
                                      f"{attempt + 1} attempt(s)", url)
            except httpx.TransportError as exc:  # refused, DNS, TLS, reset
                failure = RemoteError("FETCH-NETWORK", f"{url}: {_reason(exc)} after {attempt + 1} attempt(s)", url)
            else:
                if response.status_code == 404:
                    raise RemoteError("FETCH-NOT-FOUND", f"{url}: 404 not found", url, 404)
                if response.status_code not in RETRY_STATUSES:
                    if response.status_code >= 400:
                        raise RemoteError("FETCH-HTTP", f"{url}: HTTP {response.status_code} "
                                          f"{_snippet(response)}", url, response.status_code)
                    return response
                failure = RemoteError("FETCH-HTTP", f"{url}: HTTP {response.status_code} after {attempt + 1} "
                                      "attempt(s)", url, response.status_code)
                told = retry_after(response.headers.get("Retry-After"))
                if told is not None:
                    if told > self.max_wait:
                        raise RemoteError("FETCH-HTTP", f"{url}: HTTP {response.status_code}, Retry-After {told:.0f}s "
                                          f"is longer than {self.max_wait:.0f}s", url, response.status_code)
                    wait = max(told, 0.0)
            if attempt == self.retries:
                raise failure
            time.sleep(wait)
            wait = min(wait * 2, self.max_wait)
        raise AssertionError("unreachable")

    def _pace(self) -> None:
        if self.rate > 0:
            gap = 1.0 / self.rate - (time.monotonic() - self._last)
            if gap > 0:
                time.sleep(gap)
        self._last = time.monotonic()


def retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), ``None`` when absent/unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "name resolution" in lowered:
        return f"DNS failure ({text})"
    if "certificate" in lowered or "ssl" in lowered or "tls" in lowered or "wrong version number" in lowered:
        return f"TLS error ({text})"
    if "refused" in lowered:
        return "connection refused"
    return f"{type(exc).__name__}: {text}"


def _snippet(response: httpx.Response) -> str:
    text = " ".join(response.text[:160].split())
    return f"({text})" if text else ""
