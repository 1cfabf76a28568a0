"""Command-line inputs that name the registry rather than a file: ``NCT04318600``, a study URL
(``https://clinicaltrials.gov/study/NCT04318600``), or any other ``http(s)://`` URL of a record file.

:func:`fetch_inputs` downloads them into a folder and gives back the local paths, input order kept, with one
:class:`~.http.RemoteError` per input that could not be fetched (the others go on).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from .ctgov import Registry, study_id
from .http import RemoteError


def fetch_inputs(inputs: list[str], folder: Path,
                 registry: Registry) -> tuple[list[str], list[tuple[str, RemoteError]]]:
    """``(local paths, failures)`` for remote ``inputs`` (each an NCT id, a study URL or a file URL)."""
    from trialexport.atomic import write_atomic

    paths: list[str] = []
    failures: list[tuple[str, RemoteError]] = []
    for n, raw in enumerate(inputs):
        try:
            nct = study_id(raw)
            if nct is not None:
                target, data = folder / f"{nct}.json", registry.study(nct)
            else:
                name = Path(urlsplit(raw).path).name or "download"
                target, data = folder / f"{n:04d}-{name}", registry.client.request("GET", raw).content
            write_atomic(target, data)
            paths.append(str(target))
        except RemoteError as exc:
            failures.append((raw, exc))
    return paths, failures
