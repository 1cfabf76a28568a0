"""Atomic file writes: a file is either absent, the old version, or complete - never half-written.

The data goes to a temporary name in the same folder and is renamed into place, so a crash,
Ctrl-C or SIGKILL never leaves a partial file under the real name (a killed run may leave a
hidden ``.<name>.<pid>.*.part`` file, which the next run removes once that process is gone).
``durable=True`` also fsyncs before the rename, which protects against power loss at a cost of
milliseconds per file; bulk runs leave it off.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


def write_atomic(path: str | Path, data: bytes, *, durable: bool = False) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    commit(stage(path, data, durable=durable), path)


def stage(path: str | Path, data: bytes, *, durable: bool = False, owner: int | None = None) -> str:
    """Write ``data`` to a new temporary ``.<name>.<pid>.<random>.part`` file beside ``path``; return its path.

    :func:`commit` renames it into place; :func:`discard` drops it. Used directly when one process writes and
    another decides (bulk conversion: workers stage, the main process commits in input order); ``owner`` is the
    pid put in the name (default: this process), the process whose death makes the file stale.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pid = os.getpid() if owner is None else owner
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{pid}.", suffix=".part", dir=path.parent)
    try:
        os.fchmod(fd, _FILE_MODE)  # mkstemp makes 0600; outputs get the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
    except BaseException:
        discard(tmp)
        raise
    return tmp


def commit(part: str, path: str | Path) -> None:
    """Rename a staged file into place (atomic on POSIX); on failure the staged file is removed."""
    try:
        os.replace(part, path)
    except BaseException:
        discard(part)
        raise


def discard(part: str) -> None:
    """Remove a staged file, if it is still there."""
    with contextlib.suppress(OSError):
        os.unlink(part)
