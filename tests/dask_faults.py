"""Faults injected into the workers of a test's own ``dask.distributed`` LocalCluster (``client.register_plugin``):
a record whose conversion hangs, a worker process killed while converting. Test code only: the plugins wrap
:func:`trialexport.pipeline.batch.convert_one` inside the worker processes of the cluster they are registered on,
so nothing of this exists in the package or in any other process.

Each fault fires on one record (``"line N"`` of an NDJSON input, named ``line N NCT...`` once read) and, with
``marker``, only while the marker file does not exist yet (the plugin creates it when it fires, with the worker's pid
and how many staged files it sees): "once", across worker restarts.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class _Fault(WorkerPlugin):
    def __init__(self, record: str, marker: str | None = None) -> None:
        self.record = record
        self.marker = marker

    def setup(self, worker: Any) -> None:
        """Load tables and schemas now (as a worker's first record would: a limit of 1 s per record then has a
        margin of 40x, restarted workers included) and wrap the conversion of a record."""
        from trialexport.formats.base import Options
        from trialexport.pipeline import batch

        batch.warm_up(["fhir-r5", "fhir-r4", "odm-1.3.2", "odm-2.0"], Options())

        real = batch.convert_one
        fault = self

        def convert_one(raw: Any, display: str, input_mtime: float, plan: Any) -> Any:
            if f"{getattr(raw, 'record', '')} ".startswith(f"{fault.record} ") and fault._arm(plan):
                fault.fire()
            return real(raw, display, input_mtime, plan)

        batch.convert_one = convert_one  # type: ignore[assignment]

    def _arm(self, plan: Any) -> bool:
        """Whether to fire now (creates the marker: the worker's pid and the staged files it sees)."""
        if self.marker is None:
            return True
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        staged = len(list(Path(plan.out_dir).glob(".*.part"))) if plan.out_dir else 0
        os.write(fd, f"{os.getpid()} {staged}\n".encode())
        os.close(fd)
        return True

    def fire(self) -> None:
        raise NotImplementedError


class Hang(_Fault):
    """The record's conversion never returns (the worker's thread sleeps for an hour)."""

    name = "trialexport-test-hang"

    def fire(self) -> None:
        time.sleep(3600)


class Kill(_Fault):
    """The worker process converting the record dies at once (SIGKILL: no exception, no clean-up)."""

    name = "trialexport-test-kill"

    def fire(self) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


class Freeze(_Fault):
    """The worker process converting the record stops answering anything (SIGSTOP: its event loop too), as a
    machine that hangs or drops off the network."""

    name = "trialexport-test-freeze"

    def fire(self) -> None:
        os.kill(os.getpid(), signal.SIGSTOP)
