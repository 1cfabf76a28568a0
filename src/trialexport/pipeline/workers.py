"""Worker processes for ``convert --jobs N``: results in input order, a bounded window, and no orphan, no hang.

Why not ``multiprocessing.Pool``: a worker that dies in the middle of a task (a crash, an out-of-memory kill) leaves
``Pool``'s result waiting forever, and when the parent is killed (a CI time-out, ``kill -9``) its workers stay
alive, blocked on a task pipe whose write end they hold themselves: the test suite once hung for 120 s on such a
pool and left a worker running for 35 minutes with no parent. Here:

* :class:`concurrent.futures.ProcessPoolExecutor` notices a dead worker (``BrokenProcessPool``): the record being
  waited for is reported as failed, the executor is replaced and the other records in flight are sent again;
* a record that takes longer than :data:`TIMEOUT` seconds (or ``TRIALEXPORT_WORKER_TIMEOUT``) is reported as failed
  and the workers are replaced;
* every worker dies with its parent: on Linux the kernel sends it ``SIGKILL`` when the parent goes
  (``PR_SET_PDEATHSIG``), and on every platform a watchdog thread in the worker exits it once its parent is gone;
* :meth:`Workers.close` (on every exit path: end, error, Ctrl-C, SIGTERM) kills and reaps the workers.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

TIMEOUT = 600.0  # seconds one unit of work may take; the variable below overrides it
TIMEOUT_VARIABLE = "TRIALEXPORT_WORKER_TIMEOUT"


def env_seconds(variable: str, default: float) -> float:
    """A number of seconds greater than 0 from the environment ``variable`` (``default`` when it is not set);
    ``ValueError`` naming the variable and its value otherwise."""
    raw = os.environ.get(variable)
    if raw is None:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise ValueError(f"{variable}={raw!r}: expected a number of seconds greater than 0")
    return seconds


class WorkerDied(Exception):
    """A unit of work whose worker process died (or overran :data:`TIMEOUT`) before it finished."""

    def __init__(self, message: str, item: Any) -> None:
        super().__init__(message)
        self.item = item


class PoolLost(Exception):
    """The pool as a whole is gone mid-run (e.g. the connection to a Dask scheduler): no record can be converted."""


def _die_with_parent(parent: int) -> None:
    """Make this worker end when process ``parent`` ends, whatever way it ends."""
    try:  # Linux: the kernel kills us when the parent exits (even with SIGKILL)
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):  # pragma: no cover - not Linux: the watchdog below does it
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        import time

        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="trialexport-parent-watch", daemon=True).start()


def _worker_init(parent: int) -> None:
    """Workers leave interrupts to the main process (which stops them and keeps finished files) and die with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)


def _finished(future: Any) -> bool:
    """Whether a future holds a result (not an exception, not cancelled)."""
    return bool(future.done() and not future.cancelled() and future.exception() is None)


class Workers:
    """``jobs`` forked worker processes running one function over a stream of items, results in input order."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.timeout = env_seconds(TIMEOUT_VARIABLE, TIMEOUT)
        self.parent = os.getpid()
        self._executor: Any = None

    def _start(self) -> Any:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if self._executor is None:
            self._executor = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("fork"),
                                                 initializer=_worker_init, initargs=(self.parent,))
        return self._executor

    def imap(self, func: Callable[[Any], Any], items: Iterable[Any], window: int) -> Iterator[Any]:
        """``func(item)`` for each item, in input order, at most ``window`` in flight; a :class:`WorkerDied` in place
        of the result of an item whose worker died or overran :data:`TIMEOUT`."""
        from concurrent.futures import TimeoutError as FutureTimeout
        from concurrent.futures.process import BrokenProcessPool

        pending: deque[tuple[Any, Any]] = deque()
        source = iter(items)
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                pending.append((item, self._start().submit(func, item)))
            if not pending:
                return
            item, future = pending.popleft()
            try:
                yield future.result(timeout=self.timeout)
                continue
            except BrokenProcessPool:
                failure = WorkerDied("a worker process died while converting this record (or one converted beside "
                                     "it)", item)
            except FutureTimeout:
                failure = WorkerDied(f"converting this record took longer than {self.timeout:g} s; its worker was "
                                     "stopped", item)
            # a fresh set of workers for the rest: items already done keep their result (their outputs are staged),
            # the others are sent again
            kept = [(queued, fut if _finished(fut) else None) for queued, fut in pending]
            self.close()
            pending.clear()
            for queued, fut in kept:
                pending.append((queued, fut if fut is not None else self._start().submit(func, queued)))
            yield failure

    def close(self) -> None:
        """Stop every worker now and reap it (idempotent); unfinished work is dropped."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list(getattr(executor, "_processes", {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            if proc.is_alive():
                proc.kill()
        for proc in processes:
            proc.join(timeout=5)
