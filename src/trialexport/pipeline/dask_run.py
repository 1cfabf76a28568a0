"""Converting on a Dask cluster (``convert --dask ADDRESS``, optional extra ``trialexport[dask]``).

The same pipeline as ``convert --jobs N`` (:func:`.batch.convert_paths`), with the worker processes of a
``dask.distributed`` cluster in place of local ones (:class:`DaskWorkers` has the interface of
:class:`.workers.Workers`), so outputs are the same bytes, checked by the same rules, with the same report:

* the client (the machine running ``convert``) splits the inputs (a folder of JSON, the registry's bulk zip,
  NDJSON) into records, undecoded where the container allows (zip members, NDJSON lines), and sends them in
  tasks of up to :data:`BATCH` records (``client.submit``), two per worker thread in flight;
* a worker decodes, maps and validates each record and **writes** every valid output under a temporary name
  beside its final name (:func:`trialexport.atomic.stage`): the output folder must be a path every worker and the
  client see (a shared filesystem). The bytes never travel back through the scheduler, only the outcomes;
* the client **renames** each staged file into place (atomic), in input order, after the duplicate-id check, as
  with ``--jobs``; a failed record is reported and the others go on (exit 1);
* ``--resume`` applies :mod:`.resume`'s rule on the workers: a record whose outputs exist and are newer than its
  input, the tool and the settings marker is not converted again. Temporary files of a killed run are removed.

Why the client renames rather than the workers: it keeps one rule for a study id seen twice (the newer copy wins) and
the same bytes as ``--jobs``; a rename is one metadata operation, the writing of the bytes is on the workers.

Python API recipe (own cluster, own client; with a ``LocalCluster``, under ``if __name__ == "__main__":``)::

    from dask.distributed import Client
    from trialexport.formats.base import Options
    from trialexport.pipeline.dask_run import convert_on_dask

    with Client("tcp://scheduler:8786") as client:
        failed = [o for o in convert_on_dask(client, ["ctg-studies.json.zip"], ["fhir-r4", "odm-1.3.2"],
                                             "/shared/out", Options(), resume=True) if not o.ok]

For a pipeline of one's own (e.g. ``dask.bag``), :func:`convert_record` is the pure per-record function.
Nothing here imports dask at module level; ``import trialexport`` never does.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from trialexport.formats.base import Options

from .record import RecordOutcome, output_name

BATCH = 16  # records per Dask task (at most): the client's cost per task (~7 ms) over ~16 x 25 ms of work
REFRESH = 64  # tasks submitted between two questions to the scheduler about the cluster's size
CONNECT_TIMEOUT = float(os.environ.get("TRIALEXPORT_DASK_TIMEOUT", "10"))  # seconds to reach a scheduler
INSTALL_HINT = "pip install 'trialexport[dask]'"


class DaskUnavailable(Exception):
    """``--dask`` cannot run: dask is not installed, the scheduler cannot be reached or has no worker (one line)."""


def _run_batch(func: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """One Dask task: ``func`` over a batch of items (runs on a worker)."""
    return [func(item) for item in items]


class DaskWorkers:
    """The workers of a ``dask.distributed`` cluster running one function over a stream of items, results in input
    order (the interface of :class:`.workers.Workers`, for :func:`.batch.convert_paths`)."""

    def __init__(self, client: Any, batch: int = BATCH) -> None:
        self.client = client
        self.batch = batch
        self._futures: list[Any] = []
        self._submitted = 0
        self._window = 2

    def _in_flight(self) -> int:
        """Tasks to keep queued: two per worker thread, so no worker waits for the client (asked of the scheduler
        once per :data:`REFRESH` tasks, so workers joining a running conversion get work)."""
        if self._submitted % REFRESH == 0:
            self._window = 2 * (sum(self.client.nthreads().values()) or 1)
        return self._window

    def _size(self) -> int:
        """Records in the next task: 1, 2, 4, ... up to ``batch``, doubling after each round of tasks in flight, so a
        small input still spreads over every worker and a large one costs few tasks."""
        return min(self.batch, 1 << min(self._submitted // max(self._window, 1), 16))

    def imap(self, func: Callable[[Any], Any], items: Iterable[Any], window: int = 0) -> Iterator[Any]:
        """``func(item)`` for each item, in input order; a :class:`.workers.WorkerDied` in place of the result of an
        item whose task failed (e.g. its worker died more often than the scheduler retries, ``KilledWorker``).
        ``window`` is ignored: the number of tasks in flight follows the cluster's size."""
        from .workers import WorkerDied

        pending: deque[tuple[list[Any], Any]] = deque()
        source = iter(items)
        exhausted = False
        while True:
            while not exhausted and len(pending) < self._in_flight():
                chunk = [item for _, item in zip(range(self._size()), source, strict=False)]
                if not chunk:
                    exhausted = True
                    break
                future = self.client.submit(_run_batch, func, chunk, pure=False)
                self._futures.append(future)
                self._submitted += 1
                pending.append((chunk, future))
            if not pending:
                return
            chunk, future = pending.popleft()
            self._futures.remove(future)
            try:
                results = future.result()
            except Exception as exc:  # the task failed on the cluster: its records fail, the batch goes on
                name = type(exc).__name__
                yield from (WorkerDied(f"the Dask task converting this record failed ({name}: {exc})", item)
                            for item in chunk)
                continue
            yield from results

    def close(self) -> None:
        """Cancel the tasks still queued (idempotent); the cluster itself belongs to whoever opened it."""
        futures, self._futures = self._futures, []
        if futures:
            self.client.cancel(futures)


@contextmanager
def connect(address: str) -> Iterator[Any]:
    """A ``dask.distributed`` client for ``address``: ``tcp://host:8786`` (a running scheduler), ``local`` or
    ``local:N`` (a LocalCluster of N one-thread worker processes started here; default: one per core).

    Raises :class:`DaskUnavailable` (one line) when dask is not installed, the scheduler cannot be reached or has no
    worker within :data:`CONNECT_TIMEOUT` seconds.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise DaskUnavailable(f"--dask needs the optional extra: {INSTALL_HINT} ({exc})") from None
    kind, _, count = address.partition(":")
    if kind == "local":
        if count and not (count.isdigit() and int(count) > 0):
            raise DaskUnavailable(f"--dask {address}: expected local or local:N with N a number of workers")
        workers = int(count) if count else os.cpu_count() or 1
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,\
                Client(cluster) as client:
            yield client
        return
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise DaskUnavailable(f"--dask {address}: cannot reach the Dask scheduler: {exc}") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise DaskUnavailable(f"--dask {address}: the Dask scheduler has no worker ({exc}); start some with "
                                  f"`dask worker {address}`") from None
        yield client


def convert_on_dask(client: Any, inputs: Iterable[str], targets: Sequence[str], out_dir: str, options: Options,
                    **kwargs: Any) -> Iterator[RecordOutcome]:
    """Convert every record of ``inputs`` on the cluster of ``client`` into ``out_dir`` (a path the workers share);
    yield one outcome per record, in input order. ``kwargs``: those of :func:`.batch.convert_paths` (``fmt``,
    ``strict``, ``resume``, ``keep_partial``, ``allow``, ``full_coverage``)."""
    from .batch import convert_paths

    if out_dir in ("", "-"):
        raise ValueError("convert_on_dask writes files: out_dir must be a folder the workers share")
    yield from convert_paths(inputs, list(targets), out_dir, options, pool=DaskWorkers(client), **kwargs)


def convert_record(data: bytes, source: str, targets: Sequence[str], options: Options, *, strict: bool = False,
                   keep_partial: bool = False, allow: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Pure, picklable: the records of ``data`` (one study JSON, an NDJSON line or lines, a page), each converted
    to ``targets`` -> per record ``{"study_id", "record", "ok", "diagnostics": [plain dicts], "outputs": {file name:
    validated bytes}}``. Nothing is written; the same bytes as ``convert -o DIR`` (a record is all or nothing unless
    ``keep_partial``). ``source`` names the input in diagnostics."""
    from trialexport.readers.containers import iter_raw_bytes

    from .batch import Plan, convert_one

    plan = Plan(tuple(targets), options, strict, keep_partial, tuple(allow), None, 0.0, None, 0, False)
    results = []
    for raw in iter_raw_bytes(data, None, source):
        outcome, outputs = convert_one(raw, source, 0.0, plan)
        results.append({
            "study_id": outcome.study_id, "record": outcome.record, "ok": outcome.ok,
            "diagnostics": [d.to_dict() for d in outcome.diagnostics],
            "outputs": {output_name(outcome.study_id or "study", key, options): body for key, body in outputs.items()},
        })
    return results
