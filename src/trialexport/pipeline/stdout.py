"""Outputs on stdout: one document as it is, several JSON documents as NDJSON, never glued documents.

Several documents written back to back (``}{`` or two XML prologs) are unreadable: nothing can split them, not
even ``trialexport validate -``. With more than one record, each JSON document is written compact on one line
(NDJSON, which ``validate -`` and ``convert -`` read back); several XML (or YAML) documents cannot share stdout at
all: :class:`StdoutConflict`, which the CLI reports as a usage error before anything is written (the first
document is held back until the second record shows whether there is one).
"""

from __future__ import annotations

from typing import Any

from trialexport.formats.base import Options
from trialexport.formats.registry import get as get_format


class StdoutConflict(Exception):
    """Several documents of a format that has no one-per-line form were to be written to stdout."""


class StdoutSink:
    """Writes the outputs of one format, record after record, to a binary stream."""

    def __init__(self, stream: Any, targets: list[str], options: Options) -> None:
        self.stream = stream
        suffixes = {get_format(t).suffix(options) for t in targets}
        self.json = all(s.endswith(".json") for s in suffixes)
        self.kind = ", ".join(sorted(suffixes))
        self.held: bytes | None = None
        self.count = 0

    def write(self, data: bytes) -> None:
        self.count += 1
        if self.count == 1:
            self.held = data
            return
        if not self.json:
            raise StdoutConflict(f"several records cannot share stdout as {self.kind}: XML and YAML documents cannot "
                                 "be told apart in one stream; use -o DIR")
        if self.held is not None:
            self._line(self.held)
            self.held = None
        self._line(data)

    def _line(self, data: bytes) -> None:
        import orjson

        self.stream.write(orjson.dumps(orjson.loads(data)) + b"\n")
        self.stream.flush()

    def close(self) -> None:
        """Write a single held document as it is."""
        if self.held is not None:
            self.stream.write(self.held)
            self.stream.flush()
            self.held = None
