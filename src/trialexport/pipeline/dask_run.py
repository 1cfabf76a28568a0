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

When things go wrong on the cluster (each case tested on a LocalCluster, ``tests/test_dask.py``):

* a worker process dies (killed, out of memory): the scheduler gives its tasks to other workers (up to
  ``distributed.scheduler.allowed-failures`` times, 3 by default), so its records are converted anyway; past that it
  gives up (``KilledWorker``) and the records of that task are sent again one per task, so only the record that
  kills its workers fails (``MAP-ABORTED``, exit 1);
* a record still converting after ``--dask-timeout`` seconds (:data:`RECORD_TIMEOUT` by default; workers say which
  record of a task they are on, so the limit is per record) fails alone: its task is cancelled and its worker process
  ended (a Python thread cannot be stopped; the worker's nanny starts a new one, as after any worker death), the
  other records of the task are sent again; ``--resume`` tries it again later;
* a worker that stops answering (a frozen machine): once it has held a task the limit per record without answering,
  the task is cancelled, the worker restarted by its nanny, and the task's records sent again one per task (time a
  task waits at the scheduler of a busy shared cluster does not count);
* the client is killed: files already renamed into place are complete; files workers staged stay under temporary
  names and the next run removes them; ``--resume`` converts only what is missing.

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
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from trialexport.formats.base import Options

from .record import RecordOutcome, output_name

BATCH = 16  # records per Dask task (at most): the client's cost per task (~7 ms) over ~16 x 25 ms of work
REFRESH = 64  # tasks submitted between two questions to the scheduler about the cluster's size
LOST_POLL = 5.0  # seconds between checks that the client still has its scheduler, while waiting without a limit
CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler and for it to have a worker; the variable below overrides it
CONNECT_TIMEOUT_VARIABLE = "TRIALEXPORT_DASK_CONNECT_TIMEOUT"
RECORD_TIMEOUT = 120.0  # default --dask-timeout, seconds per record: 90x a 6,400-site study --to all (1.3 s CPU)
RESTART_TIMEOUT = 30.0  # seconds a worker's nanny may take to replace a worker stopped for a hung record
INSTALL_HINT = "pip install 'trialexport[dask]'"

# On a worker: batch token -> (index in the batch of the record converting now, time.monotonic() it started).
_RUNNING: dict[str, tuple[int, float]] = {}


class DaskUnavailable(Exception):
    """``--dask`` cannot run: dask is not installed, the scheduler cannot be reached or has no worker (one line)."""


def _run_batch(func: Callable[[Any], Any], items: list[Any], token: str) -> list[Any]:
    """One Dask task: ``func`` over a batch of items (runs on a worker), saying which item it is on (see
    :func:`_progress`)."""
    results = []
    try:
        for index, item in enumerate(items):
            _RUNNING[token] = (index, time.monotonic())
            results.append(func(item))
    finally:
        _RUNNING.pop(token, None)
    return results


async def _exit_worker() -> None:
    """On a worker (``client.run``, asynchronous as ``wait=False`` needs): end its process now, a thread stuck in a
    record with it (a nanny starts a new worker; the scheduler gives the worker's other tasks to others, as for any
    worker that dies)."""
    os._exit(1)


def _progress(token: str) -> tuple[int, float] | None:
    """On a worker (``client.run``, the worker's event loop, so it answers while a task hangs): the item of batch
    ``token`` converting now and for how many seconds; ``None`` if the batch is not running there."""
    state = _RUNNING.get(token)
    return None if state is None else (state[0], time.monotonic() - state[1])


class _Hung(Exception):
    """A task overran the limit: the item it is stuck on (``None``: unknown), the worker, and whether its work is done
    (``done``: finished, but its result cannot be fetched from a worker that stopped answering)."""

    def __init__(self, index: int | None, worker: str | None, detail: str, done: bool = False) -> None:
        super().__init__(detail)
        self.index = index
        self.worker = worker
        self.done = done


@dataclass(slots=True)
class _Task:
    """A batch in flight (``future``), or the results of one already known (``results``)."""

    chunk: list[Any]
    future: Any = None
    token: str = ""
    results: list[Any] | None = None
    again: bool = False  # already sent a second time (its result lost with a worker, or a lone KilledWorker)


class DaskWorkers:
    """The workers of a ``dask.distributed`` cluster running one function over a stream of items, results in input
    order (the interface of :class:`.workers.Workers`, for :func:`.batch.convert_paths`).

    ``timeout``: seconds one item may run on a worker (``None`` or 0: no limit). An item that overruns it fails
    alone (a :class:`.workers.WorkerDied`): its task is cancelled and its worker restarted (its nanny starts a
    fresh one: a Python thread cannot be stopped), the other items of its batch are sent again.
    """

    def __init__(self, client: Any, batch: int = BATCH, timeout: float | None = RECORD_TIMEOUT) -> None:
        self.client = client
        self.batch = batch
        self.timeout = timeout or None
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

    def _submit(self, func: Callable[[Any], Any], chunk: list[Any]) -> _Task:
        token = uuid.uuid4().hex
        future = self.client.submit(_run_batch, func, chunk, token, key=f"trialexport-batch-{token}", pure=False)
        self._futures.append(future)
        self._submitted += 1
        return _Task(chunk, future, token)

    def imap(self, func: Callable[[Any], Any], items: Iterable[Any], window: int = 0) -> Iterator[Any]:
        """``func(item)`` for each item, in input order; a :class:`.workers.WorkerDied` in place of the result of an
        item that overran the time limit, or whose task failed on its own (e.g. its worker died more often than the
        scheduler retries: ``KilledWorker``; the other items of a failed batch are sent again one by one, so only
        the culprit fails; a lone item that meets ``KilledWorker`` gets one more go, as the scheduler also blames the
        tasks queued on a worker that another task kills). ``window`` is ignored: the number of tasks in flight
        follows the cluster's size."""
        from .workers import WorkerDied

        pending: deque[_Task] = deque()
        source = iter(items)
        exhausted = False
        while True:
            while not exhausted and len(pending) < self._in_flight():
                chunk = [item for _, item in zip(range(self._size()), source, strict=False)]
                if not chunk:
                    exhausted = True
                    break
                pending.append(self._submit(func, chunk))
            if not pending:
                return
            task = pending.popleft()
            if task.results is not None:
                yield from task.results
                continue
            self._futures.remove(task.future)
            try:
                results = self._wait(task)
            except _Hung as hung:
                pending.extendleft(reversed(self._after(func, task, hung)))
                continue
            except Exception as exc:  # the task failed on the cluster: its records fail, the batch goes on
                self._check_connected()  # not when the whole cluster is gone (its tasks are cancelled)
                name = type(exc).__name__
                if len(task.chunk) > 1:
                    pending.extendleft(reversed([self._submit(func, [item]) for item in task.chunk]))
                    continue
                if name == "KilledWorker" and not task.again:  # a task queued on a worker that another one kills
                    resent = self._submit(func, task.chunk)  # is counted as suspicious too: give it one more go
                    resent.again = True
                    pending.appendleft(resent)
                    continue
                yield WorkerDied(f"the Dask task converting this record failed ({name}: {exc})", task.chunk[0])
                continue
            yield from results

    def _after(self, func: Callable[[Any], Any], task: _Task, hung: _Hung) -> list[_Task]:
        """What replaces ``task`` once it hung (see :class:`_Hung`): the record it is stuck on fails, the others are
        sent again (each on its own when it is not known which one is stuck; all together, once, when only their
        result was lost)."""
        from .workers import WorkerDied

        note = self._stop(task.future, hung)
        if hung.done and not task.again:
            resent = self._submit(func, task.chunk)
            resent.again = True
            return [resent]
        if hung.index is None and len(task.chunk) > 1 and not hung.done:
            return [self._submit(func, [item]) for item in task.chunk]
        failed = range(len(task.chunk)) if hung.index is None else [hung.index]
        again: list[_Task] = []
        start = 0
        for index in failed:
            if index > start:
                again.append(self._submit(func, task.chunk[start:index]))
            again.append(_Task([], results=[WorkerDied(f"{hung}{note}; re-run with --resume to try it again",
                                                       task.chunk[index])]))
            start = index + 1
        if start < len(task.chunk):
            again.append(self._submit(func, task.chunk[start:]))
        return again

    def _wait(self, task: _Task) -> list[Any]:
        """The results of ``task``; :class:`_Hung` once one of its items has run longer than :attr:`timeout` on a
        worker (asked of the worker running it), or once a worker has held it longer than :attr:`timeout` per item
        without saying it runs it (a worker that stopped answering). Time queued at the scheduler (a busy shared
        cluster) does not count."""
        if self.timeout is None:
            while True:  # not result() alone: a future of a client that lost its scheduler never resolves
                try:
                    return list(task.future.result(timeout=LOST_POLL))
                except TimeoutError:
                    self._check_connected()
        from dask.distributed import wait

        poll = min(max(self.timeout / 4, 0.05), 5.0)
        held_since = time.monotonic()
        while True:
            try:
                wait([task.future], timeout=poll)
            except TimeoutError:
                pass
            else:
                return self._fetch(task, max(self.timeout, poll))
            self._check_connected()
            holders = self._holders(task)
            where = self._where(task, holders, poll)
            for worker, (index, seconds) in where.items():
                if seconds > self.timeout:
                    raise _Hung(index, worker, f"converting this record took longer than {self.timeout:g} s "
                                               f"(--dask-timeout) on Dask worker {worker}")
            held = time.monotonic() - held_since
            if not holders:  # still queued at the scheduler: the clock starts when a worker has it
                held_since = time.monotonic()
            elif not where and held > self.timeout * len(task.chunk):
                raise _Hung(None, holders[0], f"Dask worker {holders[0]} held this record's task for {held:.0f} s "
                                              f"without answering (--dask-timeout {self.timeout:g} s per record)")

    def _check_connected(self) -> None:
        """:class:`.workers.PoolLost` once the client has given up its scheduler (it retries for
        ``distributed.comm.timeouts.connect`` first): nothing sent from then on would ever run."""
        from .workers import PoolLost

        if self.client.status in ("closing", "closed"):
            raise PoolLost("lost the connection to the Dask scheduler mid-run")

    def _fetch(self, task: _Task, limit: float) -> list[Any]:
        """The results of finished ``task``, or :class:`_Hung` when the worker holding them does not hand them over
        within ``limit`` seconds (it stopped answering after the task finished)."""
        try:
            return list(task.future.result(timeout=limit))
        except TimeoutError:
            try:
                holders = list(self.client.who_has([task.future]).get(task.future.key, ()))
            except (OSError, TimeoutError):
                holders = []
            worker = holders[0] if holders else None
            raise _Hung(None, worker, f"the result of this record could not be fetched from Dask worker {worker} "
                                      f"within {limit:g} s (--dask-timeout): it stopped answering", done=True) from None

    def _holders(self, task: _Task) -> list[str]:
        """Workers the scheduler says are processing ``task``."""
        try:
            processing = self.client.processing()
        except (OSError, TimeoutError):
            return []
        return [worker for worker, keys in processing.items() if task.future.key in keys]

    def _where(self, task: _Task, workers: list[str], limit: float) -> dict[str, tuple[int, float]]:
        """Worker -> (item, seconds on it) for those of ``workers`` running ``task`` that answer within ``limit``
        seconds."""
        if not workers:
            return {}
        try:
            answers = self.client.run(_progress, task.token, workers=workers, on_error="return",
                                      callback_timeout=limit)
        except (OSError, TimeoutError):
            return {}
        return {w: a for w, a in answers.items() if isinstance(a, tuple)}

    def _stop(self, future: Any, hung: _Hung) -> str:
        """Cancel ``future`` and replace the worker it is stuck on; what became of the worker, for the diagnostic.

        A worker that answers (a thread stuck in a record) is ended at once (:func:`_exit_worker`): a graceful
        restart would wait seconds for the thread. One that does not answer is restarted through its nanny, which
        kills it after a few seconds.
        """
        self.client.cancel([future])  # first: the scheduler must not give the task to another worker
        worker = hung.worker
        if worker is None:
            return "; its task was cancelled"
        if hung.index is not None:
            try:
                self.client.run(_exit_worker, workers=[worker], wait=False)
                return "; its task was cancelled and its worker process ended (its Dask nanny starts a new one)"
            except Exception:  # gone meanwhile: the nanny route below says what happened
                pass
        try:
            status = self.client.restart_workers([worker], timeout=RESTART_TIMEOUT, raise_for_error=False)
        except Exception as exc:  # e.g. a worker without a nanny: it keeps its stuck thread
            return f"; its task was cancelled, the worker could not be restarted ({type(exc).__name__}: {exc})"
        state = status.get(worker, "unknown") if isinstance(status, dict) else status
        return "; its task was cancelled and the worker restarted" if state == "OK" else \
            f"; its task was cancelled, restarting the worker: {state}"

    def close(self) -> None:
        """Cancel the tasks still queued (idempotent); the cluster itself belongs to whoever opened it."""
        futures, self._futures = self._futures, []
        if futures:
            self.client.cancel(futures)


def connect_timeout() -> float:
    """Seconds :func:`connect` waits for a scheduler (and for its first worker): :data:`CONNECT_TIMEOUT_VARIABLE`
    from the environment, else :data:`CONNECT_TIMEOUT`; a value that is not a number of seconds > 0 is a
    :class:`DaskUnavailable` naming it."""
    from .workers import env_seconds

    try:
        return env_seconds(CONNECT_TIMEOUT_VARIABLE, CONNECT_TIMEOUT)
    except ValueError as exc:
        raise DaskUnavailable(str(exc)) from None


@contextmanager
def connect(address: str) -> Iterator[Any]:
    """A ``dask.distributed`` client for ``address``: ``tcp://host:8786`` (a running scheduler), ``local`` or
    ``local:N`` (a LocalCluster of N one-thread worker processes started here; default: one per core).

    Raises :class:`DaskUnavailable` (one line) when dask is not installed, the scheduler cannot be reached or has no
    worker within :func:`connect_timeout` seconds.
    """
    wait = connect_timeout()
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
        client = Client(address, timeout=wait)
    except (OSError, TimeoutError, ValueError) as exc:
        raise DaskUnavailable(f"--dask {address}: cannot reach the Dask scheduler: {exc}") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=wait)
        except (OSError, TimeoutError) as exc:
            raise DaskUnavailable(f"--dask {address}: the Dask scheduler has no worker ({exc}); start some with "
                                  f"`dask worker {address}`") from None
        yield client


def convert_on_dask(client: Any, inputs: Iterable[str], targets: Sequence[str], out_dir: str, options: Options, *,
                    timeout: float | None = RECORD_TIMEOUT, **kwargs: Any) -> Iterator[RecordOutcome]:
    """Convert every record of ``inputs`` on the cluster of ``client`` into ``out_dir`` (a path the workers share);
    yield one outcome per record, in input order. ``timeout``: seconds a record may take (``None``: no limit; see
    :class:`DaskWorkers`). ``kwargs``: those of :func:`.batch.convert_paths` (``fmt``, ``strict``, ``resume``,
    ``keep_partial``, ``allow``, ``full_coverage``)."""
    from .batch import convert_paths

    if out_dir in ("", "-"):
        raise ValueError("convert_on_dask writes files: out_dir must be a folder the workers share")
    yield from convert_paths(inputs, list(targets), out_dir, options, pool=DaskWorkers(client, timeout=timeout),
                               **kwargs)


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
