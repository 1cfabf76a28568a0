"""Resuming an interrupted run: which outputs are current, the settings marker, stale temporary files."""

from __future__ import annotations

import os
from pathlib import Path

from trialexport.formats.base import Options


def mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def tool_stamp() -> float:
    """Newest modification time of the code, mapping tables and schemas: outputs older than it are stale."""
    from trialexport.resources import data_dir

    roots = [Path(__file__).parent.parent, data_dir("mappings"), data_dir("schemas")]  # the package, the tables
    return max((p.stat().st_mtime for root in roots for p in root.rglob("*") if p.is_file()), default=0.0)



SETTINGS_MARKER = ".trialexport-settings.json"


def settings_marker(out_dir: str, options: Options) -> float:
    """Record in ``out_dir`` the settings its outputs are made with; return when those settings took effect.

    ``--resume`` counts an output as current only if it is newer than this, so outputs made with other
    settings (e.g. another Bundle type) or by another version are made again.
    """
    import orjson

    from trialexport import __version__
    from trialexport.atomic import write_atomic

    path = Path(out_dir) / SETTINGS_MARKER
    settings = {"version": __version__, "bundle_type": options.bundle_type, "model_format": options.model_format,
                "source_date_epoch": options.source_date_epoch, "max_entries": options.max_entries}
    want = orjson.dumps(settings, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"
    try:
        have = path.read_bytes()
    except OSError:
        have = None
    if have != want:
        write_atomic(path, want)
    return path.stat().st_mtime



def remove_stale_parts(out_dir: str) -> int:
    """Delete temporary ``.<name>.<pid>.*.part`` files left by runs that are gone (or by this one); return how many.

    Looks in ``out_dir`` and one level down (a format that writes a folder per study, e.g. ``<id>.sdtm/``). A part
    file of another live run (same folder, same time) is left alone.
    """
    count = 0
    root = Path(out_dir)
    for part in [*root.glob(".*.part"), *root.glob("*/.*.part")]:
        fields = part.name.rsplit(".", 3)  # ['.<name>', '<pid>', '<random>', 'part']
        pid = int(fields[1]) if len(fields) == 4 and fields[1].isdigit() else None
        if pid is not None and pid != os.getpid() and _alive(pid):
            continue
        part.unlink(missing_ok=True)
        count += 1
    return count


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[-1].split()[:1] != [b"Z"]
    except OSError:  # no /proc (not Linux): trust kill(pid, 0)
        return True
