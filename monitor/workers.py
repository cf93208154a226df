"""The extraction worker processes, talked to by the event loop itself over pipes.

A :class:`WorkerPool` is a :class:`concurrent.futures.Executor` for ``loop.run_in_executor``
(and :func:`run_in`) that runs each task in one of its worker processes. The event loop
writes each task, pickled, to a worker's stdin as it is submitted and reads the answers from
the workers' stdout as they come: no thread of the pool's own, no lock, no semaphore.

Why not :class:`~concurrent.futures.ProcessPoolExecutor`: it hands each task to a feeder
thread and each answer to a result thread, and each hand-off is a trip through the GIL that
the event loop waits for (about 0.8 ms of the checker's CPU a check on the article farm); its
semaphores need multiprocessing's resource tracker, a third Python process of 13 MB.

Framing: a task is a header (its size and its number) and ``pickle((function, args,
kwargs))``; an answer is a header (its size, the task's number and whether the task
returned) and the pickled result or exception. A worker runs the tasks of its pipe in order;
the pool gives each task to the worker with the fewest unanswered. A worker that stops
(killed, out of memory) breaks the pool, as it does a ProcessPoolExecutor: every task not
answered yet and every later submit fail with
:class:`~concurrent.futures.process.BrokenProcessPool` (the caller starts a new pool). A
worker ignores SIGINT and SIGTERM (they reach the whole process group; only the parent
decides when to stop) and stops at the end of its stdin: when the parent stops or dies,
it stops once the task at hand is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import os
import pickle
import selectors
import signal
import subprocess
import sys
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, TypeVar

from monitor.worker import ANSWER, TASK

# A checker started before an upgrade still starts its workers with
# ``from monitor.workers import serve``: they must find it here too.
from monitor.worker import serve as serve

_T = TypeVar("_T")
#: A task's future: run_in_executor's (concurrent) or :meth:`WorkerPool.run`'s (asyncio).
_Pending = Future[Any] | asyncio.Future[Any]

_STOPS = {signal.SIGINT, signal.SIGTERM}  # what a worker ignores: the parent stops it
_READ_SIZE = 1 << 18
PIPE_SIZE = 1 << 20  # Linux's default limit for a pipe's buffer (/proc/sys/fs/pipe-max-size)
EXIT_WAIT = 0.5  # seconds: a worker that closed its answers or was killed is exiting


@dataclass(eq=False)
class _Worker:
    """One worker process and the parent's ends of its pipes (-1 once closed)."""

    process: subprocess.Popen[bytes]
    tasks: int  # the write end of the worker's stdin
    answers: int  # the read end of the worker's stdout
    pending: dict[int, _Pending] = field(default_factory=dict)
    outgoing: deque[memoryview] = field(default_factory=deque)  # what the pipe had no room for
    incoming: bytearray = field(default_factory=bytearray)


class WorkerPool(Executor):
    """``workers`` worker processes, started by the first :meth:`submit` (a pass that
    analyses nothing, all 304s, starts none) and attached to its event loop; submit and
    shut down from that loop's thread (``loop.run_in_executor`` does). Each is ``python``
    (this interpreter) and imports the modules named in ``preload`` before it reads a task."""

    def __init__(
        self, workers: int, preload: Sequence[str] = (), python: str = sys.executable
    ) -> None:
        if workers < 1:
            raise ValueError(f"a worker pool needs at least one worker, not {workers}")
        self._size = workers
        self._python = python
        self._preload = tuple(preload)
        self._workers: list[_Worker] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next_task = 0
        self._broken: str | None = None
        self._closed = False

    @property
    def pids(self) -> list[int]:
        """The workers' process ids (none before the first task)."""
        return [worker.process.pid for worker in self._workers]

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self._give(future, fn, args, kwargs)
        return future

    async def run(self, fn: Callable[..., _T], /, *args: Any) -> _T:
        """``fn(*args)`` in a worker, as ``loop.run_in_executor(pool, ...)`` without its
        hand-off from a concurrent future to the loop (a wake-up of the loop a task)."""
        future: asyncio.Future[_T] = asyncio.get_running_loop().create_future()
        self._give(future, fn, args, {})
        return await future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the workers: at once with ``cancel_futures`` (what they were given is
        cancelled), else once they have answered every task (``wait``: return then). A
        pool whose event loop has closed has nobody to answer: its workers are stopped."""
        if self._loop is not None and self._loop.is_running():
            running = None
            with contextlib.suppress(RuntimeError):
                running = asyncio.get_running_loop()
            if running is not self._loop:
                raise RuntimeError("shut a worker pool down from its event loop's thread")
        self._closed = True
        if self._loop is not None and self._loop.is_closed():
            cancel_futures = True
        for worker in self._workers:
            if cancel_futures:
                self._cancel(worker)
            elif wait:
                self._finish(worker)
            else:
                self._after_sent(worker)

    # -- the event loop's side

    def _give(
        self, future: _Pending, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Any
    ) -> None:
        if self._broken is not None:
            raise BrokenProcessPool(self._broken)
        if self._closed:
            raise RuntimeError("cannot submit a task to a worker pool after its shutdown")
        self._attach(asyncio.get_running_loop())
        body = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        self._next_task += 1
        task = self._next_task
        worker = min(self._workers, key=lambda each: len(each.pending))
        worker.pending[task] = future
        self._send(worker, [TASK.pack(len(body), task), body])

    def _attach(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is loop:
            return
        if self._loop is not None:
            raise RuntimeError("a worker pool serves the event loop it started with")
        started: list[_Worker] = []
        try:
            for _ in range(self._size):
                started.append(_start(self._python, self._preload))
        except OSError as exc:  # out of processes, memory or descriptors; no interpreter
            _reap(started)
            self._broken = f"cannot start an extraction worker: {exc}"
            raise BrokenProcessPool(self._broken) from exc
        self._loop, self._workers = loop, started
        # Whatever happens to the pool, its workers are stopped and reaped in the end.
        weakref.finalize(self, _reap, list(started))
        for worker in self._workers:
            os.set_blocking(worker.tasks, False)
            os.set_blocking(worker.answers, False)
            loop.add_reader(worker.answers, self._read, worker)

    def _send(self, worker: _Worker, chunks: list[bytes]) -> None:
        """Queue a task for ``worker``; write what its pipe takes now, the rest when the
        loop says the pipe has room."""
        idle = not worker.outgoing
        worker.outgoing.extend(memoryview(chunk) for chunk in chunks)
        if not idle:
            return  # the loop is already waiting to write
        if not _write_some(worker):
            self._break("an extraction worker stopped taking tasks")
        elif worker.outgoing:
            assert self._loop is not None
            self._loop.add_writer(worker.tasks, self._write, worker)

    def _write(self, worker: _Worker) -> None:
        if not _write_some(worker):
            self._break("an extraction worker stopped taking tasks")
        elif not worker.outgoing:
            self._unwatch(worker.tasks)
            if self._closed:
                self._after_sent(worker)

    def _read(self, worker: _Worker) -> None:
        data = _read_some(worker.answers)
        if data is None:
            return
        if not data:
            self._stopped(worker)
            return
        worker.incoming += data
        self._settle(worker)

    def _settle(self, worker: _Worker) -> None:
        """Give every whole answer received to the future that waits for it."""
        for task, returned, value in _take_answers(worker):
            future = worker.pending.pop(task, None)
            if future is None or not _wanted(future):
                continue  # cancelled meanwhile
            if returned:
                future.set_result(value)
            elif isinstance(value, BaseException) and not isinstance(value, StopIteration):
                future.set_exception(value)
            else:  # what no future can hold
                future.set_exception(RuntimeError(f"a task raised {value!r}"))

    def _stopped(self, worker: _Worker) -> None:
        """The worker closed its answers: it exited (at the end of its tasks after a
        shutdown, or killed)."""
        if self._closed and not worker.pending:
            self._close(worker)
            self._reap_soon(worker)
            return
        code = _exit_status(worker.process)
        how = f" (exit status {code})" if code is not None else ""
        self._break(f"an extraction worker stopped{how}")

    def _reap_soon(self, worker: _Worker) -> None:
        """Reap a worker that is exiting, looking again every :data:`EXIT_WAIT` rather than
        waiting for it on the loop."""
        loop = self._loop
        if worker.process.poll() is None and loop is not None and not loop.is_closed():
            loop.call_later(EXIT_WAIT, self._reap_soon, worker)

    def _break(self, reason: str) -> None:
        """A worker stopped: the pool is broken, and every task not answered fails."""
        if self._broken is not None:
            return
        self._broken = reason
        _kill(self._workers)
        for worker in self._workers:
            self._close(worker)
            _fail(worker, reason)

    def _cancel(self, worker: _Worker) -> None:
        for future in worker.pending.values():
            future.cancel()
        worker.pending.clear()
        _kill([worker])
        self._close(worker)

    def _finish(self, worker: _Worker) -> None:
        """Shutdown with wait: send what is left, end the worker's tasks and read its
        answers until it closes its stdout (both at once: a worker that has no room for an
        answer takes no task); whatever it did not answer fails."""
        if worker.answers >= 0:
            self._unwatch(worker.tasks)
            self._unwatch(worker.answers)
            _drain(worker, self._settle)
            self._close(worker)
        worker.process.wait()
        _fail(worker, "an extraction worker stopped before it answered")

    def _after_sent(self, worker: _Worker) -> None:
        """After a shutdown, once every task is in the pipe: the end of the worker's tasks."""
        if worker.tasks >= 0 and not worker.outgoing:
            self._unwatch(worker.tasks)
            _close_fd(worker.tasks)
            worker.tasks = -1

    def _close(self, worker: _Worker) -> None:
        for fd in (worker.tasks, worker.answers):
            if fd >= 0:
                self._unwatch(fd)
                _close_fd(fd)
        worker.tasks = worker.answers = -1

    def _unwatch(self, fd: int) -> None:
        """The loop stops watching ``fd`` (before it is closed: the number is reused)."""
        loop = self._loop
        if fd >= 0 and loop is not None and not loop.is_closed():
            loop.remove_reader(fd)
            loop.remove_writer(fd)


def _wanted(future: _Pending) -> bool:
    """Whether the answer to ``future`` is still wanted (then it can be given)."""
    if isinstance(future, asyncio.Future):
        return not future.done()
    return future.set_running_or_notify_cancel()


def _fail(worker: _Worker, reason: str) -> None:
    pending = list(worker.pending.values())
    worker.pending.clear()
    for future in pending:
        if _wanted(future):
            future.set_exception(BrokenProcessPool(reason))


async def run_in(executor: Executor | None, fn: Callable[..., _T], /, *args: Any) -> _T:
    """``fn(*args)`` in ``executor`` (None: a thread of the running loop)."""
    if isinstance(executor, WorkerPool):
        return await executor.run(fn, *args)
    return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)


def _start(python: str, preload: Sequence[str]) -> _Worker:
    """A worker process: this interpreter, this ``sys.path`` (a task's function is pickled
    by its module's name), :func:`monitor.worker.serve` reading stdin. It ignores the stop
    signals before anything else (a stop of the process group right after a start is the
    parent's)."""
    code = (
        "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"signal.pthread_sigmask(signal.SIG_UNBLOCK, {sorted(map(int, _STOPS))!r}); "
        f"import sys; sys.path[:] = {sys.path!r}; "
        f"from monitor.worker import serve; serve({list(preload)!r})"
    )
    # Blocked from before the start (the child inherits the mask) until the child ignores
    # them: a stop of the process group at any moment is the parent's to act on.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        process = subprocess.Popen(
            [python, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
        )
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    assert process.stdin is not None and process.stdout is not None
    # The pool owns the descriptors from here on (the file objects would close them again).
    tasks, answers = os.dup(process.stdin.fileno()), os.dup(process.stdout.fileno())
    process.stdin.close()
    process.stdout.close()
    process.stdin = process.stdout = None
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux
    for fd in (tasks, answers):  # a page in one write, not in 64 kB steps of the loop
        if set_size is not None:
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, set_size, PIPE_SIZE)
    return _Worker(process, tasks, answers)


def _reap(workers: list[_Worker]) -> None:
    """When a pool goes: stop the workers still running and close what is left open."""
    _kill([worker for worker in workers if worker.process.poll() is None])
    for worker in workers:
        for fd in (worker.tasks, worker.answers):
            if fd >= 0:
                _close_fd(fd)
        worker.tasks = worker.answers = -1


def _exit_status(process: subprocess.Popen[bytes]) -> int | None:
    """The exit status of a worker that closed its answers (it is exiting), if it is known
    within :data:`EXIT_WAIT` (the event loop waits meanwhile: this is a worker's death)."""
    try:
        return process.wait(EXIT_WAIT)
    except subprocess.TimeoutExpired:
        return None


def _kill(workers: list[_Worker]) -> None:
    """Kill the workers and reap them: all killed first, each waited for at most
    :data:`EXIT_WAIT` (one stuck in the kernel is reaped when the pool goes)."""
    for worker in workers:
        worker.process.kill()
    for worker in workers:
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.process.wait(EXIT_WAIT)


def _take_answers(worker: _Worker) -> list[tuple[int, bool, Any]]:
    """The whole answers in ``worker.incoming``, taken out of it: (task, whether it returned,
    what it returned or raised). No future is given its answer meanwhile (its callbacks
    could touch the buffer)."""
    buffer = worker.incoming
    found = []
    start = 0
    with memoryview(buffer) as view:
        while len(buffer) - start >= ANSWER.size:
            size, task, returned = ANSWER.unpack_from(view, start)
            end = start + ANSWER.size + size
            if len(buffer) < end:
                break
            with view[start + ANSWER.size : end] as body:
                try:
                    found.append((task, returned, pickle.loads(body)))
                except Exception as exc:
                    found.append((task, False, exc))
            start = end
    del buffer[:start]
    return found


def _drain(worker: _Worker, settle: Callable[[_Worker], None]) -> None:
    """Write the worker's tasks left and read its answers until it closes its stdout,
    blocking (the event loop watches neither meanwhile)."""
    with selectors.DefaultSelector() as selector:
        selector.register(worker.answers, selectors.EVENT_READ)
        if worker.tasks >= 0 and worker.outgoing:
            selector.register(worker.tasks, selectors.EVENT_WRITE)
        elif worker.tasks >= 0:
            _close_fd(worker.tasks)
            worker.tasks = -1
        while selector.get_map():
            for key, _ in selector.select():
                if key.fd == worker.answers:
                    data = _read_some(worker.answers)
                    if data == b"":
                        selector.unregister(worker.answers)
                    elif data:
                        worker.incoming += data
                        settle(worker)
                elif not _write_some(worker) or not worker.outgoing:
                    selector.unregister(worker.tasks)
                    _close_fd(worker.tasks)
                    worker.tasks = -1


def _read_some(fd: int) -> bytes | None:
    """What the pipe holds (b"" at its end or on an error; None: nothing yet)."""
    try:
        return os.read(fd, _READ_SIZE)
    except BlockingIOError:
        return None
    except OSError:
        return b""


def _write_some(worker: _Worker) -> bool:
    """Write what the worker's pipe takes of its outgoing queue; False if it is gone."""
    chunks = list(itertools.islice(worker.outgoing, 64))
    try:
        sent = os.writev(worker.tasks, chunks)
    except BlockingIOError:
        return True
    except OSError:
        worker.outgoing.clear()
        return False
    while sent and worker.outgoing:
        first = worker.outgoing[0]
        if sent < len(first):
            worker.outgoing[0] = first[sent:]
            break
        sent -= len(worker.outgoing.popleft())
    return True


def _close_fd(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
