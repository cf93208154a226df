"""An extraction worker's life: the tasks of its stdin run in order, their answers written
to its stdout, until stdin ends (:class:`monitor.workers.WorkerPool` starts it and says how
it is framed).

A worker holds what it imports for its whole life, so this module imports only what
reading, running and answering a task needs. The pool's own module imports asyncio (and
the ssl asyncio imports), subprocess and concurrent.futures, which extraction does not
need: a worker started with it held 30.7 MB after its start, 25.8 MB without (a worker
that loads trafilatura, for an unsure page, imports ssl through it all the same).
"""

from __future__ import annotations

import importlib
import os
import pickle
import struct
import traceback
from collections.abc import Iterable
from typing import Any

TASK = struct.Struct("!QQ")  # size of the pickle, task number
ANSWER = struct.Struct("!QQ?")  # size of the pickle, task number, whether the task returned


def serve(preload: Iterable[str] = ()) -> None:
    """A worker's life: run the tasks of stdin in order and write their answers to stdout,
    until stdin ends. A task sees /dev/null as stdin and stderr as stdout: what it reads or
    prints never touches the tasks or the answers."""
    tasks = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    with open(os.devnull, "rb") as nothing:
        os.dup2(nothing.fileno(), 0)
    os.dup2(2, 1)
    for module in preload:
        importlib.import_module(module)
    while True:
        header = tasks.read(TASK.size)
        if len(header) < TASK.size:
            return
        size, task = TASK.unpack(header)
        body = tasks.read(size)
        if len(body) < size:
            return
        returned, answer = _pickled(*_run(body))
        try:
            answers.write(ANSWER.pack(len(answer), task, returned))
            answers.write(answer)
            answers.flush()
        except BrokenPipeError:  # the parent has gone: so does the worker, quietly
            return


def _run(body: bytes) -> tuple[Any, bool]:
    """What the task in ``body`` returned, and True; or what it raised, and False. A task
    that exits (SystemExit) or lets a StopIteration out raises a RuntimeError that says
    so: the worker goes on, and the event loop that awaits the answer is not stopped."""
    try:
        function, args, kwargs = pickle.loads(body)
        return function(*args, **kwargs), True
    except BaseException as exc:
        # A future cannot hold a StopIteration, and a SystemExit would stop the event loop.
        ordinary = isinstance(exc, Exception) and not isinstance(exc, StopIteration)
        error = exc if ordinary else RuntimeError(f"a task raised {exc!r}")
        error.add_note("in an extraction worker:\n" + traceback.format_exc())
        return error, False


def _pickled(value: Any, returned: bool) -> tuple[bool, bytes]:
    """The answer as sent: a result or exception that cannot be pickled is sent as an error
    that says so."""
    try:
        return returned, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        what = "result" if returned else f"exception ({type(value).__name__})"
        error = RuntimeError(f"an extraction worker cannot send back its {what}: {exc}")
        return False, pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL)
