"""A time budget for parsing and extraction: the work runs in a worker process, killed when it overruns.

Parsers and extractors read hostile bytes. Run in the event loop, one
pathological document (a regex that backtracks, a parser that goes quadratic)
stopped every fetch of the run, and no fetch deadline could interrupt it. So
the work goes to a few long-lived worker processes, and the caller waits at
most the budget, then kills the worker and reports the source: one bad feed
costs one budget, never the run.

A worker is a fresh interpreter (``python -c``) that imports this package and
talks over a socket pair; multiprocessing's start methods were not used
because spawn and forkserver run the caller's ``__main__`` again in the child
(any script without a ``__main__`` guard would start a run there) and fork
copies a process that has threads. A start costs an import of what the jobs
run (`reading`: the parsers and extractors, about 0.25 s; with the whole run it
was 1 s), paid once per worker, and again only after a kill. Each worker
also asks the kernel to stop it a second past the budget of CPU time
(RLIMIT_CPU), so a worker whose run was itself killed cannot burn a core on.
One thread per worker waits for it, so the event loop only awaits; while all
workers are busy, jobs queue before their budget starts. POSIX only (socket
pairs passed by descriptor, RLIMIT_CPU), like the rest of newsvault's targets.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import pickle
import resource
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import newsvault

__all__ = ["BudgetError", "OverBudget", "WorkerDied", "within_budget"]

P = ParamSpec("P")
T = TypeVar("T")

WORKERS = max(2, min(4, os.cpu_count() or 1))  # parsing is CPU work; two, so one stuck feed never holds up the rest
_STARTUP_SECONDS = 120.0  # a worker's start imports the pipeline; on a loaded machine that is slow, not stuck


class BudgetError(Exception):
    """Work sent to a worker process gave no result: it overran its budget, or the worker died."""


class OverBudget(BudgetError):
    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"{what} took longer than its budget of {seconds:g} s and was stopped ([fetch] parse_budget)")
        self.seconds = seconds


class WorkerDied(BudgetError):
    def __init__(self, what: str, exitcode: int | None) -> None:
        if exitcode is None:
            how = "it did not start"
        elif exitcode < 0:
            how = f"killed by {signal.Signals(-exitcode).name}"
        else:
            how = f"exit code {exitcode}"
        super().__init__(f"{what} stopped: its worker process died ({how})")
        self.exitcode = exitcode


async def within_budget(what: str, seconds: float, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``function(*args, **kwargs)`` in a worker process, for at most ``seconds``.

    ``function`` must be importable by name (module level) and its arguments
    and result picklable. Its exceptions arrive as raised; OverBudget or
    WorkerDied (both BudgetError) when it gave no answer. ``what`` names the
    work in the message ("parsing the feed").
    """
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_THREADS, functools.partial(_call, what, seconds, function, args, kwargs))


_THREADS = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="newsvault-budget")
_own = threading.local()  # each thread of _THREADS drives its own worker


class _Worker:
    """One worker process and the parent's end of the socket pair to it."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        # The package's own location first: the caller may have found it on a sys.path of its own.
        where = str(Path(newsvault.__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (where, os.environ.get("PYTHONPATH"))))}
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-c", f"from newsvault.schedule.budget import serve; serve({theirs.fileno()})"],
                pass_fds=(theirs.fileno(),),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        self.conn = Connection(ours.detach())

    def ready(self) -> bool:
        """Wait for the worker's hello, so that a budget counts from a worker that is ready, not from its start."""
        try:
            return self.conn.poll(_STARTUP_SECONDS) and self.conn.recv() is True
        except (EOFError, ConnectionResetError):
            return False

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        self.conn.close()


def _call(what: str, seconds: float, function: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    worker = _worker(what)
    try:
        worker.conn.send((function, seconds, args, kwargs))
        answered = worker.conn.poll(seconds)
    except (BrokenPipeError, ConnectionResetError):  # it died between two jobs (out of memory, say): see below
        answered = True
    if not answered:
        _retire(worker)
        raise OverBudget(what, seconds)
    try:
        ok, value = worker.conn.recv()
    except (EOFError, ConnectionResetError):
        _retire(worker)
        raise WorkerDied(what, worker.process.returncode) from None
    if not ok:
        raise value
    result: T = value
    return result


def _worker(what: str) -> _Worker:
    """This thread's worker, started (or replaced, if it died) when needed."""
    worker: _Worker | None = getattr(_own, "worker", None)
    if worker is not None and worker.alive():
        return worker
    if worker is not None:
        _retire(worker)
    worker = _own.worker = _Worker()
    if not worker.ready():
        _retire(worker)
        raise WorkerDied(what, None)
    return worker


def _retire(worker: _Worker) -> None:
    worker.stop()
    _own.worker = None


def serve(fd: int) -> None:
    """A worker's loop on socket ``fd``: run each job sent, answer (True, result) or (False, exception)."""
    conn = Connection(fd)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a worker stopped by the kernel leaves no core file
    conn.send(True)
    while True:
        try:
            function, seconds, args, kwargs = conn.recv()
        except EOFError:  # the run is over (or was killed)
            return
        _limit_cpu(seconds)
        try:
            reply = (True, function(*args, **kwargs))
        except Exception as exc:
            reply = (False, _portable(exc))
        conn.send(reply)


def _limit_cpu(seconds: float) -> None:
    """Have the kernel end this worker (SIGXCPU) once this job has had a second more CPU than its budget."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _portable(exc: Exception) -> Exception:
    """The exception when it survives pickling, else a RuntimeError with its text (the caller gets either)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
