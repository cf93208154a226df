"""The daemon: `monitor run` as a long-lived service.

One process per database (an advisory lock that the kernel releases if the process dies).
The scheduler calls :meth:`Daemon.run_check` for each due watch; parsing, extraction and
diffing run in a process pool so the event loop never stalls. SIGTERM and SIGINT stop new
checks, let in-flight ones finish within ``shutdown_grace``, then cancel the rest; SIGHUP
reloads config.toml (added, removed and changed watches and feeds) without a restart. Watches
and feeds added with `monitor add` while the daemon runs are picked up within
``REFRESH_EVERY``. Followed feeds and the articles they find are run by :mod:`monitor.follow`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import random
import signal
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

from monitor import __version__
from monitor.clock import iso
from monitor.config import MAX_INTERVAL, Config
from monitor.errors import FetchCancelled, LockError, MonitorError
from monitor.fetch import Fetcher
from monitor.follow import Follower
from monitor.outbox import Outbox
from monitor.pipeline import Checker, CheckResult, auto_workers, process_pool
from monitor.schedule import WatchScheduler, WatchTiming, plan_first_runs
from monitor.store import Scheduled, Store, Watch
from monitor.wiring import build_checker

if TYPE_CHECKING:
    from monitor.web import EmbeddedWeb

log = logging.getLogger(__name__)

REFRESH_EVERY = 30.0
OUTBOX_EVERY = 30.0
#: How long a stop waits for its helper tasks (the outbox and refresh loops) once cancelled.
HELPERS_GRACE = 5.0


def notify_systemd(state: str) -> None:
    """Tell systemd (Type=notify) how the service is doing; nothing without NOTIFY_SOCKET."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]  # an abstract socket
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(state.encode(), address)
    except OSError as exc:
        log.warning("cannot notify systemd: %s", exc)


class DatabaseLock:
    """An exclusive lock on ``<database>.lock``; released by the kernel if we die.

    The file is removed when the lock is let go. A process that opened it just before
    finds, once it holds the lock, that the path no longer names the file it locked, and
    tries again on the new one, so two processes never hold "the" lock at once. A file
    left by a killed process is harmless: nobody holds a lock on it.
    """

    def __init__(self, database: str) -> None:
        self.path = Path(f"{database}.lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise LockError naming the process that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            handle = self.path.open("a+", encoding="utf-8")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                handle.close()
                raise LockError(
                    f"monitor is already running on {self.path.with_suffix('')} "
                    f"(pid {holder}); stop it first"
                ) from None
            if self._still_named(handle):
                break
            handle.close()  # removed by the holder that just let go: lock the new one
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def _still_named(self, handle: IO[str]) -> bool:
        try:
            return os.stat(self.path).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            return False

    def release(self) -> None:
        """Let go of the lock, and remove its file."""
        if self._file is not None:
            self.path.unlink(missing_ok=True)
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


@dataclass
class Tally:
    """What the daemon did, logged when it stops."""

    statuses: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """``12 checks: 10 unchanged, 2 changed``."""
        total = sum(self.statuses.values())
        parts = ", ".join(f"{n} {status}" for status, n in self.statuses.most_common())
        return f"{total} check{'' if total == 1 else 's'}" + (f": {parts}" if parts else "")


@dataclass(frozen=True)
class WebOptions:
    """Where the daemon serves the web UI (``monitor run --web``), and its access token."""

    host: str
    port: int
    token: str | None = None


def _worker_count(requested: int | None, config: Config, store: Store) -> int:
    """The extraction processes asked for, else as many as the active watches (those the
    feeds found included) call for (:func:`~monitor.pipeline.auto_workers`); logged."""
    workers = requested
    if workers is None:
        workers = auto_workers(config, store.watches.requested(), store.feeds.urls())
    where = f"{workers} worker processes" if workers else "threads"
    log.info("extraction in %s (--workers to choose)", where)
    return workers


class Daemon:
    """Schedules checks of every active watch until stopped."""

    def __init__(
        self,
        load_config: Callable[[], Config],
        database: str | None = None,
        *,
        workers: int | None = None,
        on_result: Callable[[CheckResult], None] | None = None,
        install_signals: bool = True,
        web: WebOptions | None = None,
    ) -> None:
        self.load_config = load_config
        self.web = web
        self.web_url: str | None = None
        self.config = load_config()
        self.database = database or self.config.settings.database
        self.requested_workers = workers  # None: as many as the watches call for
        self.workers = 0  # extraction processes (0: threads), chosen when the daemon starts
        self.on_result = on_result
        self.install_signals = install_signals
        self.tally = Tally()
        self.stopping = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._accepting = True
        self._outbox_due = asyncio.Event()
        self._delivery = asyncio.Lock()

    def stop(self) -> None:
        """Ask the daemon to stop (what SIGTERM and SIGINT do)."""
        self.stopping.set()

    async def run(self) -> None:
        """Run until :meth:`stop` (or a signal); in-flight checks finish first."""
        lock = DatabaseLock(self.database)
        lock.acquire()
        log.info("monitor %s running on %s", __version__, self.database)
        try:
            with Store(self.database) as store:
                await self._serve(store)
        finally:
            lock.release()
        log.info("stopped after %s", self.tally.summary())

    async def _serve(self, store: Store) -> None:
        self.store = store
        # Without a config file, config watches are not ours to deactivate.
        store.sync_config(self.config, deactivate=self.config.path is not None)
        self.workers = _worker_count(self.requested_workers, self.config, store)
        self.executor = self._executor()
        try:
            async with Fetcher(self.config.settings.fetch) as fetcher:
                self._assemble(store, fetcher)
                web = self._web()
                with self._signals():
                    self._start_checking(store)
                    notify_systemd("READY=1")
                    helpers = [
                        asyncio.create_task(self._outbox_loop()),
                        asyncio.create_task(self._refresh()),
                    ]
                    serving = asyncio.create_task(web.run()) if web else None
                    await self.stopping.wait()
                    if web and serving:
                        web.stop()
                        await asyncio.wait({serving}, timeout=5)
                    await self._shutdown(helpers)
        finally:
            _stop_workers(self.executor)

    def _assemble(self, store: Store, fetcher: Fetcher) -> None:
        """The checker, the outbox, the scheduler and the feed follower, over one fetcher."""
        self.fetcher = fetcher
        self.checker = self._checker()
        self.outbox = Outbox(store, self.config)
        self.outbox.recover()
        self.scheduler = WatchScheduler(self.run_check)
        self.follower = Follower(
            store,
            fetcher,
            self.scheduler,
            self.run_check,
            slots=2 * self.config.settings.fetch.concurrency,
            inflight=self._inflight,
            request_for=lambda url: self.config.feed_request(url),
        )

    def _checker(self) -> Checker:
        """A checker over the running config and the current executor (built anew when
        either changes, never patched)."""
        return build_checker(self.store, self.fetcher, self.config, executor=self.executor)

    def _start_checking(self, store: Store) -> None:
        """Schedule every watch and feed, and start the scheduler."""
        watches = store.watches.interval_watches()
        if not watches and not store.feeds.all():
            log.warning(
                "no watches yet: add one with `monitor add URL`, [[watch]] or [[feed]] "
                "in config.toml; they are picked up within %.0f s",
                REFRESH_EVERY,
            )
        self._schedule_all(watches)
        self.follower.start()
        self.scheduler.start()

    def _web(self) -> EmbeddedWeb | None:
        """The web UI, its socket bound (a port in use stops the start here), if asked for."""
        if self.web is None:
            return None
        from monitor.web import EmbeddedWeb  # the daemon without --web never loads it

        host, port = self.web.host, self.web.port
        try:
            interval = self.config.settings.interval
            web = EmbeddedWeb(self.database, host, port, self.web.token, default_interval=interval)
        except OSError as exc:
            raise MonitorError(f"cannot serve the web UI on {host}:{port}: {exc}") from None
        self.web_url = web.url
        log.info("web UI (read-only) at %s", web.url)
        return web

    def _executor(self) -> Executor | None:
        return process_pool(self.workers)

    def _replace_broken_executor(self, broken: Executor | None) -> None:
        """A worker died (killed, out of memory): start a new pool for the next checks, once
        (the other checks that were using the broken pool find it replaced already)."""
        if broken is not self.executor:
            return
        log.warning("the extraction workers stopped; starting new ones")
        _stop_workers(self.executor)
        self.executor = self._executor()
        self.checker = self._checker()

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        handled = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP) if self.install_signals else ()
        for signum in handled:
            callback = self.reload if signum == signal.SIGHUP else self._on_stop_signal
            loop.add_signal_handler(signum, callback)
        try:
            yield
        finally:
            for signum in handled:
                loop.remove_signal_handler(signum)

    def _on_stop_signal(self) -> None:
        if self.stopping.is_set():
            log.warning("second stop signal: cancelling in-flight checks now")
            for task in self._inflight:
                task.cancel()
        log.info("stopping: finishing %d in-flight checks", len(self._inflight))
        self.stop()

    def _schedule_all(self, watches: list[Scheduled]) -> None:
        settings = self.config.settings
        timings = [WatchTiming(w.id, _interval(w, self.config), w.next_check_at) for w in watches]
        now = datetime.now(UTC)
        plan = plan_first_runs(timings, now, spread=max(settings.jitter, 30.0))
        for timing in timings:
            self.scheduler.schedule(
                timing.watch_id, timing.interval, settings.jitter, plan[timing.watch_id]
            )
        for watch in watches:
            self.store.watches.set_next_check(watch.id, iso(plan[watch.id]))
        log.info(
            "scheduled %d watch%s; %s",
            len(watches),
            "" if len(watches) == 1 else "es",
            self.follower.summary(),
        )

    async def run_check(self, watch_id: int) -> None:
        """The job of one watch: check it, never letting an error stop the daemon."""
        if not self._accepting:
            return
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        broken = self.executor  # the pool this check uses, should it break
        try:
            await self._check(watch_id)
        except FetchCancelled:
            log.debug("check of watch %d not started: stopping", watch_id)
        except MonitorError as exc:
            log.error("check of watch %d failed: %s", watch_id, exc)
            if isinstance(exc.__cause__, BrokenExecutor):
                self._replace_broken_executor(broken)
        except Exception:
            log.exception("unexpected error while checking watch %d", watch_id)
        finally:
            self._inflight.discard(task)

    async def _check(self, watch_id: int) -> None:
        watch = self.store.watches.get(watch_id)
        if not watch.active:
            self.scheduler.unschedule(watch_id)
            return
        next_run = self.scheduler.next_run(watch_id)
        next_at = next_run.astimezone(UTC).isoformat(timespec="seconds") if next_run else None
        result = await self.checker.check(watch, next_check_at=next_at)
        self.tally.statuses[result.status.value] += 1
        if result.report is not None:
            log.info(
                "change watch=%s %s",
                watch.label,
                _summary(result),
                extra={"watch": watch.label, "status": result.status.value},
            )
        if self.on_result is not None:
            self.on_result(result)
        self._outbox_due.set()

    async def _outbox_loop(self) -> None:
        while True:
            await woken(self._outbox_due, OUTBOX_EVERY)
            self._outbox_due.clear()
            try:
                async with self._delivery:  # a stop waits for a delivery under way
                    await self.outbox.deliver()
            except MonitorError as exc:
                log.error("delivering notifications failed: %s", exc)

    async def _refresh(self) -> None:
        """Pick up watches added or removed in the database by other commands."""
        while True:
            await asyncio.sleep(REFRESH_EVERY)
            try:
                self._reconcile()
            except MonitorError as exc:
                log.error("refreshing the watch list failed: %s", exc)

    def reload(self) -> None:
        """Re-read config.toml (SIGHUP): watches added, removed and changed take effect."""
        try:
            self._reload()
        except MonitorError as exc:
            log.error("reload failed, keeping the running configuration: %s", exc)

    def _reload(self) -> None:
        config = self.load_config()
        self.store.sync_config(config)
        if config.settings.fetch != self.config.settings.fetch:
            log.warning("fetch settings changed: they take effect after a restart")
        self.config = config
        self.checker = self._checker()  # feeds' schedules and channels may have changed
        self.outbox = Outbox(self.store, config)
        self._reconcile()
        log.info("configuration reloaded from %s", config.path)

    def _reconcile(self) -> None:
        self.follower.reconcile()
        watches = {w.id: w for w in self.store.watches.interval_watches()}
        for watch_id in self.scheduler.scheduled() - watches.keys():
            self.scheduler.unschedule(watch_id)
            log.info("watch %d removed from the schedule", watch_id)
        new = [w for w in watches.values() if w.id not in self.scheduler.scheduled()]
        if new:
            self._schedule_all(new)
        for watch in watches.values():
            old = self.scheduler.interval(watch.id)
            if old is not None and old != _interval(watch, self.config):
                self._reschedule(watch)

    def _reschedule(self, watch: Scheduled) -> None:
        interval = _interval(watch, self.config)
        soonest = datetime.now(UTC) + timedelta(seconds=interval * random.random())
        current = self.scheduler.next_run(watch.id)
        first = min(current, soonest) if current else soonest
        self.scheduler.schedule(watch.id, interval, self.config.settings.jitter, first)
        log.info("watch %s now checked every %ss", watch.label, interval)

    async def _shutdown(self, helpers: list[asyncio.Task[None]]) -> None:
        notify_systemd("STOPPING=1")
        self._accepting = self.follower.accepting = False
        self.scheduler.pause()
        self.fetcher.refuse_new()
        grace = self.config.settings.shutdown_grace
        if self._inflight:
            _done, pending = await asyncio.wait(set(self._inflight), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("cancelled %d checks still running after %ss", len(pending), grace)
                await asyncio.wait(pending, timeout=5)
        self.scheduler.shutdown()
        with contextlib.suppress(TimeoutError, MonitorError):
            await asyncio.wait_for(self._last_delivery(), timeout=min(grace, 10))
        await _cancel(helpers)

    async def _last_delivery(self) -> None:
        """Let a delivery under way finish (cancelling it mid-send would leave a notification
        that may or may not have gone out), then deliver what is left."""
        async with self._delivery:
            await self.outbox.deliver()


async def _cancel(helpers: list[asyncio.Task[None]]) -> None:
    """Cancel the helper tasks and wait for them, :data:`HELPERS_GRACE` at most."""
    for task in helpers:
        task.cancel()
    _done, stuck = await asyncio.wait(helpers, timeout=HELPERS_GRACE)
    if stuck:  # never seen since woken(); a stop must end all the same
        log.error("%d helper tasks did not stop: leaving them", len(stuck))


async def woken(event: asyncio.Event, seconds: float) -> None:
    """Wait until ``event`` is set or ``seconds`` have passed. A cancel is never lost:
    ``asyncio.wait_for`` of Python 3.11 drops one that comes in the loop step in which the
    event is set, and the daemon's outbox loop then ran on after a stop (1 stop in 7 hung
    for good with checks finishing as it stopped)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


def _stop_workers(executor: Executor | None) -> None:
    """Stop the extraction workers now: nothing they are doing is waited for."""
    if executor is not None:
        executor.shutdown(wait=False, cancel_futures=True)


def _interval(watch: Watch | Scheduled, config: Config) -> float:
    """A watch's interval; one stored before intervals had a limit is held to it (the
    scheduler could compute no date for it, and stopped checking every watch)."""
    return min(watch.interval or config.settings.interval, MAX_INTERVAL)


def _summary(result: CheckResult) -> str:
    assert result.report is not None
    diff = result.report.diff
    note = f" reverted to v{result.report.reverted_to}" if result.report.reverted_to else ""
    return f"v{result.version} +{diff.chars_added} -{diff.chars_removed} chars{note}"
