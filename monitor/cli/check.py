"""monitor check: check watches now, once, with a progress counter and timing figures."""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from monitor.cli import App, _render, cli, pass_app, plural
from monitor.errors import UsageError
from monitor.models import CheckStatus

#: A notification claimed this long ago by a process that no longer sends it (a `monitor
#: check` killed while sending): what a cron user's next `monitor check` recovers.
STALE_CLAIM = timedelta(minutes=15)

STATUS_COLORS = {
    "new": "cyan",
    "changed": "yellow",
    "unchanged": None,
    "not_modified": None,
    "http_error": "red",
    "network_error": "red",
    "soft_error": "magenta",
    "gone": "red",
}


@dataclass(frozen=True)
class _CheckOptions:
    as_json: bool
    show_diff: bool
    notify: bool
    workers: int | None
    stats: bool
    named: bool = False  # the watches were named on the command line (checked even if inactive)


@cli.command()
@click.argument("watches", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line and watch.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the diff of each change.")
@click.option("--no-notify", is_flag=True, help="Send no notifications and write no report files.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="Processes for parsing and diffing (default: one per 25 watches fetched without a "
    "browser, up to one per CPU but one, at least one; 0 below 25: threads).",
)
@click.option("--stats", is_flag=True, help="Print timing figures to stderr at the end.")
@click.option(
    "--feeds",
    "poll_feeds",
    is_flag=True,
    help="Poll the followed feeds once instead, and print the articles they newly list.",
)
@pass_app
def check(
    app: App,
    watches: tuple[str, ...],
    as_json: bool,
    show_diff: bool,
    no_notify: bool,
    workers: int | None,
    stats: bool,
    poll_feeds: bool,
) -> None:
    """Check watches now, once, and print one result per watch.

    With no WATCH, checks every active watch. Several watches are fetched concurrently.
    Statuses: new, unchanged, not_modified, changed, http_error, network_error, soft_error,
    gone. Errors are recorded as checks; the exit status is 0 once every check is recorded.
    Changes are written as report files and notified through [[notify]] channels, like the
    daemon does, unless --no-notify.

    With --feeds, polls every followed feed once and prints what it found: new articles
    become watches (checked by the next `monitor check` or by the daemon).
    """
    if not app.defines_watching() and not _database_exists(app):
        raise UsageError(NO_FEEDS if poll_feeds else NOTHING_TO_CHECK)  # and no database made
    if poll_feeds:
        if watches:
            raise click.UsageError("--feeds polls every followed feed; give no WATCH with it")
        _poll_feeds(app, as_json)
        return
    from monitor.store import Queued

    options = _CheckOptions(as_json, show_diff, not no_notify, workers, stats, bool(watches))
    with app.store() as store:
        app.sync(store, deactivate=True)
        if watches:
            selected = [Queued.of(store.watches.find(ref)) for ref in watches]
        else:
            selected = store.watches.queued()
        if not selected:
            raise UsageError(_nothing_to_check(app, store))
        asyncio.run(_check_all(app, store, selected, options))


def _nothing_to_check(app: App, store: Any) -> str:

    if app.config.feeds or store.feeds.all():
        return (
            "no watches yet: `monitor check --feeds` polls the followed feeds for articles "
            "(so does `monitor run`), then `monitor check` checks them"
        )
    return NOTHING_TO_CHECK


#: Extra workers (per page slot) for first checks, which spend `second_fetch` waiting.
FIRST_CHECK_WORKERS = 4

NO_FEEDS = "no feeds to poll: add [[feed]] to config.toml or `monitor add URL --follow-feed`"
NOTHING_TO_CHECK = "nothing to check: add a watch with `monitor add URL` or in config.toml"


def _database_exists(app: App) -> bool:
    return app.database == ":memory:" or Path(app.database).exists()


def due(store: Any, watch_id: int, named: bool) -> Any:
    """The watch to check now, read as its check starts; None when it was deactivated since
    the pass began (a daemon's config reload, a duplicate found), unless ``named`` on the
    command line: a user may check an inactive watch."""
    watch = store.watches.get(watch_id)
    return watch if watch.active or named else None


async def _check_all(app: App, store: Any, watches: list[Any], options: _CheckOptions) -> None:
    from monitor.fetch import Fetcher
    from monitor.outbox import Outbox
    from monitor.pipeline import auto_workers, process_pool
    from monitor.wiring import build_checker

    workers = options.workers
    if workers is None:
        workers = auto_workers(app.config, watches, store.feeds.urls())
    executor = process_pool(workers)
    probe = _LagProbe()
    progress = _Progress(len(watches), enabled=not options.as_json and sys.stderr.isatty())
    try:
        async with Fetcher(app.config.settings.fetch) as fetcher:
            checker = build_checker(
                store,
                fetcher,
                app.config,
                executor=executor,
                notify=options.notify,
                clock=app.clock,
            )
            pending = iter(watches)

            async def work() -> None:
                # A few workers pull watches in turn: 10,000 watches are not 10,000 tasks;
                # each watch's row is read as its check starts (as the daemon does), so a
                # pass over 10,000 watches does not hold 10,000 rows with what they learned
                for queued in pending:
                    watch = due(store, queued.id, options.named)
                    if watch is not None:
                        result = await checker.check(watch)
                        progress.clear()
                        _print_result(result, options.as_json, options.show_diff)
                    progress.advance()

            slots = 2 * app.config.settings.fetch.concurrency
            # A first check waits `second_fetch` without its page slot: more workers then.
            first = sum(1 for watch in watches if watch.is_new)
            workers = min(len(watches), slots + min(first, FIRST_CHECK_WORKERS * slots))
            try:
                await asyncio.gather(*(work() for _ in range(workers)))
            finally:
                probe.replays = checker.replays
    finally:
        probe.stop()
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    progress.clear()
    if options.notify:
        outbox = Outbox(store, app.config)
        outbox.recover(stale_after=STALE_CLAIM)  # a `monitor check` killed while sending
        await outbox.deliver()
    if options.stats:
        click.echo(probe.summary(len(watches), probe.replays), err=True)


def _poll_feeds(app: App, as_json: bool) -> None:

    with app.store() as store:
        app.sync(store, deactivate=True)
        followed = store.feeds.all()
        if not followed:
            raise UsageError(NO_FEEDS)
        for discovery in asyncio.run(_poll_all(app, store, followed)):
            _print_discovery(discovery, as_json)


async def _poll_all(app: App, store: Any, followed: list[Any]) -> list[Any]:
    from monitor.feeds.discover import poll_feed
    from monitor.fetch import Fetcher

    async with Fetcher(app.config.settings.fetch) as fetcher:
        return [
            await poll_feed(store, fetcher, feed, app.clock(), app.config.feed_request(feed.url))
            for feed in followed
        ]


def _print_discovery(found: Any, as_json: bool) -> None:
    if as_json:
        data = {
            "feed": found.feed.label,
            "feed_id": found.feed.id,
            "url": found.feed.url,
            "status": found.status,
            "entries": found.entries,
            "new": [
                {"watch": w.label, "watch_id": w.id, "url": w.url, "published_at": w.published_at}
                for w in found.new
            ],
            "retitled": found.changes,
            "error": found.error,
        }
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    color = "red" if found.status == "error" else None
    summary = (
        f"{plural(found.entries, 'entry', 'entries')}, {len(found.new)} new, "
        f"{found.changes} feed-side edits (title or summary)"
    )
    detail = found.error if found.status == "error" else summary
    if found.status == "ok" and found.error:
        detail += f" ({found.error})"
    click.echo(f"{click.style(f'{found.status:<13}', fg=color)} {found.feed.label}  {detail}")
    for watch in found.new:
        named = f"{_clean(watch.name)}  " if watch.name else ""
        click.echo(f"  {click.style('new', fg='cyan')}  {named}{watch.url}")


def _clean(text: str) -> str:
    from monitor.report import clean

    return clean(text)


class _LagProbe:
    """Measures how late the event loop wakes a 10 ms sleep (a stalled loop shows here)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.max_lag = 0.0
        self.replays = 0  # checks the checker found unchanged by a replay
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            self.max_lag = max(self.max_lag, time.monotonic() - before - 0.01)

    def stop(self) -> None:
        self.elapsed = time.monotonic() - self.started
        self._task.cancel()

    def summary(self, checks: int, replays: int = 0) -> str:
        rate = checks / self.elapsed if self.elapsed else 0.0
        return (
            f"stats: {checks} checks in {self.elapsed:.2f} s ({rate:.1f}/s), "
            f"{replays} replayed what was learned, "
            f"max event-loop lag {self.max_lag * 1000:.0f} ms"
        )


class _Progress:
    """A one-line progress counter on a terminal's stderr."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, 0, enabled and total > 1
        self.show()

    def show(self) -> None:
        if self.enabled:
            click.echo(f"\rchecked {self.done}/{self.total}…", nl=False, err=True)

    def advance(self) -> None:
        self.done += 1
        self.show()

    def clear(self) -> None:
        if self.enabled:
            click.echo("\r\033[K", nl=False, err=True)


def _print_result(result: Any, as_json: bool, show_diff: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    status = result.status.value
    label = click.style(f"{status:<13}", fg=STATUS_COLORS.get(status), bold=status == "changed")
    click.echo(f"{label} {result.watch.label}  {_result_detail(result)}".rstrip())
    if show_diff and result.report is not None:
        click.echo(_render(result.report, None))


def _result_detail(result: Any) -> str:
    if result.status is CheckStatus.CHANGED and result.report is not None:
        diff = result.report.diff
        what = f"version {result.version}"
        if result.report.kind == "flap":
            what = f"flapping back to version {result.report.reverted_to}, not notified"
        elif result.report.reverted_to:
            what = f"reverted to version {result.report.reverted_to}"
        return (
            f"+{diff.chars_added} −{diff.chars_removed} chars, {what} "
            f"(`monitor diff {shlex.quote(result.watch.name or str(result.watch.id))}`)"
        )
    if result.version is not None:
        note = f" ({result.error})" if result.error else ""  # e.g. a version awaits confirmation
        return f"version {result.version}{note}"
    if result.error:
        http = f"HTTP {result.http_status}: " if result.http_status else ""
        return f"{http}{result.error}" if not result.error.startswith("HTTP") else result.error
    return ""
