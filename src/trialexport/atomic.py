"""Atomic file writes: a file is either absent, the old version, or complete - never half-written.

The data goes to a temporary name in the same folder and is renamed into place, so a crash,
Ctrl-C or SIGKILL never leaves a partial file under the real name (a killed run may leave a
hidden ``.<name>.*.part`` file, which the next run removes). ``durable=True`` also fsyncs before
the rename, which protects against power loss at a cost of milliseconds per file; bulk runs
leave it off.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, data: bytes, *, durable: bool = False) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
