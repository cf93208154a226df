"""The extraction worker processes: real processes, real pipes."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, CancelledError
from pathlib import Path
from typing import Any

import pytest
from worker_tasks import imported

from monitor import worker as worker_module
from monitor import workers as workers_module
from monitor.workers import WorkerPool, run_in


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    workers = WorkerPool(2)
    yield workers
    workers.shutdown(cancel_futures=True)


def run(pool: WorkerPool, function: Callable[..., Any], *args: Any) -> Any:
    return outcomes(pool, (function, *args))[0]


def outcomes(pool: WorkerPool, *calls: tuple[Any, ...]) -> list[Any]:
    """What each call returned or raised, one after the other in one event loop (a pool
    serves one)."""

    async def main() -> list[Any]:
        loop = asyncio.get_running_loop()
        found: list[Any] = []
        for function, *args in calls:
            try:
                found.append(await loop.run_in_executor(pool, function, *args))
            except Exception as exc:
                found.append(exc)
        return found

    return asyncio.run(main())


def wait_for_file(path: str, timeout: float = 30) -> str:
    """A task that waits until the test lets it go on (a file appears)."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(path)
        time.sleep(0.01)
    return path


def shout(text: str) -> str:
    print("this goes to stderr, not among the answers")
    return text.upper()


class Unpicklable(Exception):
    def __reduce__(self) -> Any:
        raise TypeError("not today")


def give_unpicklable() -> Any:
    return lambda: None


def raise_unpicklable() -> None:
    raise Unpicklable("oops")


def test_a_worker_imports_what_extraction_needs_and_no_more() -> None:
    """Its memory is the parser's and the extractor's, not the checker's (the HTTP client,
    the store, the commands, the event loop and its ssl, the pool itself)."""
    heavy = ("monitor.cli", "monitor.store", "monitor.workers", "httpx", "sqlite_utils")
    heavy += ("apscheduler", "asyncio", "ssl", "concurrent", "multiprocessing", "subprocess")
    pool = WorkerPool(1, preload=("monitor.analyse",))
    try:
        found = outcomes(pool, (imported, heavy), (imported, ("monitor.analyse",)))
        assert found == [[], ["monitor.analyse"]]
    finally:
        pool.shutdown()


def test_a_worker_started_the_way_an_older_checker_starts_it_still_serves() -> None:
    """A checker that was running when monitor was upgraded starts its workers with the
    code it started with: ``from monitor.workers import serve``."""
    assert workers_module.serve is worker_module.serve


def test_tasks_run_in_the_worker_processes(pool: WorkerPool) -> None:
    pid = run(pool, os.getpid)
    assert pid in pool.pids and pid != os.getpid()


def test_large_tasks_and_answers_at_once_come_back_whole(pool: WorkerPool) -> None:
    """Pages much larger than a pipe's buffer, many in flight, both ways."""
    pages = [f"{n} " + "x" * (1_000_000 + n) for n in range(12)]

    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        return await asyncio.gather(*(loop.run_in_executor(pool, shout, p) for p in pages))

    assert asyncio.run(main()) == [page.upper() for page in pages]


def test_an_exception_comes_back_with_the_workers_traceback(pool: WorkerPool) -> None:
    error, seven = outcomes(pool, (int, "not a number"), (int, "7"))
    assert isinstance(error, ValueError) and "invalid literal" in str(error)
    assert "in an extraction worker" in error.__notes__[0]
    assert "Traceback" in error.__notes__[0]
    assert seven == 7  # the worker goes on


def test_what_cannot_be_sent_back_is_an_error_that_says_so(pool: WorkerPool) -> None:
    result, exception, local, four = outcomes(
        pool, (give_unpicklable,), (raise_unpicklable,), (lambda: None,), (len, "four")
    )
    assert isinstance(result, RuntimeError) and "cannot send back its result" in str(result)
    assert isinstance(exception, RuntimeError)
    assert "cannot send back its exception" in str(exception)
    assert isinstance(local, AttributeError)  # cannot be pickled here: fails at once
    assert four == 4


def test_a_killed_worker_breaks_the_pool_and_fails_its_tasks(
    pool: WorkerPool, tmp_path: Path
) -> None:
    gate = str(tmp_path / "gate")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        waiting = [loop.run_in_executor(pool, wait_for_file, gate) for _ in range(4)]
        os.kill(pool.pids[0], signal.SIGKILL)
        for outcome in await asyncio.gather(*waiting, return_exceptions=True):
            assert isinstance(outcome, BrokenExecutor)
            assert "an extraction worker stopped" in str(outcome)
        with pytest.raises(BrokenExecutor):
            loop.run_in_executor(pool, len, "")

    asyncio.run(main())


def test_a_worker_killed_while_idle_breaks_the_pool(pool: WorkerPool) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(pool, len, "")
        os.kill(pool.pids[1], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:  # the loop reads the end of its answers
            try:
                await loop.run_in_executor(pool, len, "")
            except BrokenExecutor:
                return
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)

    asyncio.run(main())


def test_the_workers_ignore_the_stop_signals_of_the_process_group(pool: WorkerPool) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(pool, len, "") for _ in range(4)))
        for pid in pool.pids:  # each has started serving: it answered
            os.kill(pid, signal.SIGTERM)
            os.kill(pid, signal.SIGINT)
        assert await loop.run_in_executor(pool, len, "still here") == 10

    asyncio.run(main())


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_shutdown_waits_for_the_answers_of_what_was_given(tmp_path: Path) -> None:
    pool = WorkerPool(1)
    gate = tmp_path / "gate"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        pages = [loop.run_in_executor(pool, shout, "x" * 500_000) for _ in range(3)]
        blocked = loop.run_in_executor(pool, wait_for_file, str(gate))
        gate.touch()
        pool.shutdown(wait=True)  # from the loop's own thread: it reads the answers itself
        assert all(gone(pid) for pid in pool.pids)  # stopped and reaped: all was answered
        assert [await page for page in pages] == ["X" * 500_000] * 3
        assert await blocked == str(gate)
        with pytest.raises(RuntimeError, match="after its shutdown"):
            loop.run_in_executor(pool, len, "")

    asyncio.run(main())


def test_shutdown_without_waiting_lets_the_workers_finish_and_stop() -> None:
    pool = WorkerPool(1)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        page = loop.run_in_executor(pool, shout, "y" * 2_000_000)
        pool.shutdown(wait=False)
        assert await page == "Y" * 2_000_000
        (pid,) = pool.pids
        deadline = time.monotonic() + 30
        while not gone(pid):  # it stops at the end of its tasks, the pool reaps it
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)

    asyncio.run(main())


def test_a_pool_whose_loop_has_closed_stops_its_workers(tmp_path: Path) -> None:
    pool = WorkerPool(1)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.run_in_executor(pool, wait_for_file, str(tmp_path / "never"))

    asyncio.run(main())
    pool.shutdown(wait=False)  # nobody would read its answers
    assert all(gone(pid) for pid in pool.pids)


def test_shutdown_with_wait_fails_what_a_dead_worker_never_answered(tmp_path: Path) -> None:
    pool = WorkerPool(1)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        blocked = loop.run_in_executor(pool, wait_for_file, str(tmp_path / "never"))
        os.kill(pool.pids[0], signal.SIGKILL)
        pool.shutdown(wait=True)
        with pytest.raises(BrokenExecutor):
            await blocked

    asyncio.run(main())


def test_shutdown_belongs_to_the_loops_thread(pool: WorkerPool) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(pool, len, "ab") == 2
        with pytest.raises(RuntimeError, match="its event loop's thread"):
            await asyncio.to_thread(pool.shutdown)

    asyncio.run(main())


def read_stdin_then_exit(code: int) -> None:
    os.read(0, 100)  # /dev/null: nothing, at once
    input_text = sys.stdin.read()
    assert input_text == ""
    sys.exit(code)


def test_a_task_that_reads_stdin_or_exits_leaves_the_worker_serving(pool: WorkerPool) -> None:
    exited, after = outcomes(pool, (read_stdin_then_exit, 3), (len, "still here"))
    assert isinstance(exited, RuntimeError) and "SystemExit(3)" in str(exited)
    assert after == 10


def test_shutdown_with_cancel_stops_the_workers_at_once(tmp_path: Path) -> None:
    pool = WorkerPool(2)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        blocked = loop.run_in_executor(pool, wait_for_file, str(tmp_path / "never"))
        pool.shutdown(wait=False, cancel_futures=True)
        with pytest.raises((asyncio.CancelledError, CancelledError)):
            await blocked

    asyncio.run(main())
    assert all(gone(pid) for pid in pool.pids)


def test_a_pool_serves_one_event_loop(pool: WorkerPool) -> None:
    assert run(pool, len, "ab") == 2
    (error,) = outcomes(pool, (len, "ab"))
    assert isinstance(error, RuntimeError) and "event loop it started with" in str(error)


def test_submitting_needs_the_running_loop(pool: WorkerPool) -> None:
    with pytest.raises(RuntimeError):
        pool.submit(len, "ab")


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        WorkerPool(0)


def test_a_worker_that_cannot_start_breaks_the_pool() -> None:
    pool = WorkerPool(1, preload=("monitor.no_such_module",))
    try:
        error = run(pool, len, "")
        assert isinstance(error, BrokenExecutor) and "exit status 1" in str(error)
    finally:
        pool.shutdown(cancel_futures=True)


def test_run_in_uses_the_pools_own_way_or_a_thread(pool: WorkerPool, tmp_path: Path) -> None:
    gate = tmp_path / "gate"

    async def main() -> None:
        assert await run_in(pool, os.getpid) in pool.pids
        assert await run_in(None, os.getpid) == os.getpid()
        waiting = asyncio.ensure_future(run_in(pool, wait_for_file, str(gate)))
        await asyncio.sleep(0)
        waiting.cancel()  # its answer comes later and is dropped
        gate.touch()
        answers = await asyncio.gather(*(run_in(pool, len, "x" * n) for n in range(6)))
        assert answers == list(range(6))
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(main())


def stop_iteration() -> None:
    next(iter(()))


def test_a_task_that_lets_stop_iteration_out_fails_alone(pool: WorkerPool) -> None:
    """No future can hold a StopIteration: it comes back as an error that says so, and the
    answers around it come back too."""

    async def main() -> list[Any]:
        tasks = [run_in(pool, len, "ab"), run_in(pool, stop_iteration), run_in(pool, len, "")]
        found: list[Any] = await asyncio.gather(*tasks, return_exceptions=True)
        return found

    two, error, zero = asyncio.run(main())
    assert (two, zero) == (2, 0)
    assert isinstance(error, RuntimeError) and "StopIteration" in str(error)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_pool_that_cannot_start_its_workers_is_broken_and_leaks_nothing() -> None:
    before = open_fds()
    pool = WorkerPool(2, python="/nonexistent/python3")
    first, later = outcomes(pool, (len, ""), (len, ""))
    assert isinstance(first, BrokenExecutor) and "cannot start an extraction worker" in str(first)
    assert isinstance(later, BrokenExecutor)
    assert open_fds() == before


def test_no_descriptor_is_left_open(tmp_path: Path) -> None:
    before = open_fds()
    broken, finished = WorkerPool(2), WorkerPool(1)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        waiting = loop.run_in_executor(broken, wait_for_file, str(tmp_path / "never"))
        os.kill(broken.pids[0], signal.SIGKILL)
        with pytest.raises(BrokenExecutor):
            await waiting
        assert await loop.run_in_executor(finished, len, "x" * 3_000_000) == 3_000_000
        finished.shutdown()

    asyncio.run(main())
    broken.shutdown()
    assert open_fds() == before
    assert all(gone(pid) for pid in broken.pids + finished.pids)


def test_a_pool_let_go_without_a_shutdown_stops_its_workers() -> None:
    pool = WorkerPool(1)
    assert run(pool, len, "abc") == 3
    (pid,) = pool.pids
    del pool
    gc.collect()
    assert gone(pid)


def test_a_stop_signal_right_after_the_start_spares_the_worker() -> None:
    """The signals are blocked from before the worker starts until it ignores them."""
    pool = WorkerPool(2)

    async def main() -> int:
        loop = asyncio.get_running_loop()
        answer = loop.run_in_executor(pool, len, "abcd")
        for pid in pool.pids:  # started this very moment
            os.kill(pid, signal.SIGTERM)
            os.kill(pid, signal.SIGINT)
        return await answer + await loop.run_in_executor(pool, len, "ef")

    try:
        assert asyncio.run(main()) == 6
    finally:
        pool.shutdown()


def test_a_cancelled_run_in_executor_drops_its_answer(pool: WorkerPool, tmp_path: Path) -> None:
    gate = tmp_path / "gate"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        waiting = loop.run_in_executor(pool, wait_for_file, str(gate))
        await asyncio.sleep(0)
        waiting.cancel()
        gate.touch()
        assert await loop.run_in_executor(pool, len, "still") == 5
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(main())
