"""The command line: parse arguments, call the library, print.

Every ``MonitorError`` becomes one line on stderr and exit status 1, here and only here;
click's usage errors exit with status 2.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from monitor.config import Config, load_config, parse_http_url, parse_interval
from monitor.errors import MonitorError, UsageError
from monitor.logs import LOG_FORMATS, setup_logging
from monitor.models import CheckStatus

log = logging.getLogger(__name__)

FORMAT_ALIASES = {"md": "markdown", "txt": "text", "term": "terminal"}
DIFF_FORMATS = ("terminal", "text", "md", "markdown", "html", "json")
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


class MonitorGroup(click.Group):
    """A click group that turns monitor's own errors into one message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MonitorError as exc:
            raise click.ClickException(str(exc)) from None


@dataclass
class App:
    """What every command needs: the config and the database, opened on first use."""

    config_path: str | None
    db_path: str | None
    verbose: int = 0
    _config: Config | None = field(default=None, repr=False)

    def log_level(self, default: int) -> int:
        """``default``, or more detail for each -v."""
        levels = [logging.WARNING, logging.INFO, logging.DEBUG]
        return levels[min(levels.index(default) + self.verbose, 2)]

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def database(self) -> str:
        return self.db_path or self.config.settings.database

    def sync(self, store: Any, *, deactivate: bool = False) -> None:
        """Bring the config file's [[watch]] entries into the database (if there is a file)."""
        if self.config.path is not None:
            store.sync_config(self.config, deactivate=deactivate)

    def store(self, *, existing: bool = False) -> Any:
        """The snapshot database; ``existing``: a missing file is an error, not a new one."""
        from monitor.store import SnapshotStore

        if existing and self.database != ":memory:" and not Path(self.database).exists():
            raise UsageError(
                f"no database at {self.database} yet: add a watch with `monitor add URL`"
            )
        return SnapshotStore(self.database)


pass_app = click.make_pass_decorator(App)


@click.group(cls=MonitorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="MONITOR_CONFIG",
    help="Config file (default: $MONITOR_CONFIG if set, else ./config.toml).",
)
@click.option(
    "--db", "db_path", type=click.Path(dir_okay=False), help="Database file (overrides the config)."
)
@click.option("-v", "--verbose", count=True, help="Log more: -v info, -vv debug.")
@click.version_option(package_name="monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db_path: str | None, verbose: int) -> None:
    """Watch published articles and report exactly what changed in their text.

    Checks fetch each watched page, strip the boilerplate around the article, keep every
    distinct version in SQLite and show a readable diff when the article text changes.
    WATCH arguments take a watch's name, id or URL.
    """
    ctx.obj = App(config_path, db_path, verbose)
    setup_logging(ctx.obj.log_level(logging.WARNING))


# -- check ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CheckOptions:
    as_json: bool
    show_diff: bool
    notify: bool
    workers: int | None
    stats: bool


@cli.command()
@click.argument("watches", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line and watch.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the diff of each change.")
@click.option("--no-notify", is_flag=True, help="Send no notifications and write no report files.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="Processes for parsing and diffing (default: one per CPU for many watches, else 0: "
    "threads).",
)
@click.option("--stats", is_flag=True, help="Print timing figures to stderr at the end.")
@pass_app
def check(
    app: App,
    watches: tuple[str, ...],
    as_json: bool,
    show_diff: bool,
    no_notify: bool,
    workers: int | None,
    stats: bool,
) -> None:
    """Check watches now, once, and print one result per watch.

    With no WATCH, checks every active watch. Several watches are fetched concurrently.
    Statuses: new, unchanged, not_modified, changed, http_error, network_error, soft_error,
    gone. Errors are recorded as checks; the exit status is 0 once every check is recorded.
    Changes are written as report files and notified through [[notify]] channels, like the
    daemon does, unless --no-notify.
    """
    options = _CheckOptions(as_json, show_diff, not no_notify, workers, stats)
    with app.store() as store:
        app.sync(store, deactivate=True)
        selected = [store.find_watch(ref) for ref in watches] if watches else store.watches()
        if not selected:
            raise UsageError(
                "nothing to check: add a watch with `monitor add URL` or in config.toml"
            )
        asyncio.run(_check_all(app, store, selected, options))


def _auto_workers(requested: int | None, watches: int) -> int:
    """Processes are worth their start-up time from a few dozen pages on."""
    if requested is not None:
        return requested
    return min(os.cpu_count() or 1, watches // 25)


async def _check_all(app: App, store: Any, watches: list[Any], options: _CheckOptions) -> None:
    from monitor.fetch import Fetcher
    from monitor.outbox import Outbox, channel_map
    from monitor.pipeline import Checker, process_pool

    executor = process_pool(_auto_workers(options.workers, len(watches)))
    probe = _LagProbe()
    progress = _Progress(len(watches), enabled=not options.as_json and sys.stderr.isatty())
    try:
        async with Fetcher(app.config.settings.fetch) as fetcher:
            channels = channel_map(app.config) if options.notify else {}
            checker = Checker(store, fetcher, app.config, executor=executor, channels=channels)
            pending = iter(watches)

            async def work() -> None:
                # A few workers pull watches in turn: 10,000 watches are not 10,000 tasks.
                for watch in pending:
                    result = await checker.check(watch)
                    progress.clear()
                    _print_result(result, options.as_json, options.show_diff)
                    progress.advance()

            slots = 2 * app.config.settings.fetch.concurrency
            await asyncio.gather(*(work() for _ in range(min(slots, len(watches)))))
    finally:
        probe.stop()
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    progress.clear()
    if options.notify:
        await Outbox(store, app.config).deliver()
    if options.stats:
        click.echo(probe.summary(len(watches)), err=True)


class _LagProbe:
    """Measures how late the event loop wakes a 10 ms sleep (a stalled loop shows here)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.max_lag = 0.0
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            self.max_lag = max(self.max_lag, time.monotonic() - before - 0.01)

    def stop(self) -> None:
        self.elapsed = time.monotonic() - self.started
        self._task.cancel()

    def summary(self, checks: int) -> str:
        rate = checks / self.elapsed if self.elapsed else 0.0
        return (
            f"stats: {checks} checks in {self.elapsed:.2f} s ({rate:.1f}/s), "
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
            f"(`monitor diff {result.watch.name or result.watch.id}`)"
        )
    if result.version is not None:
        note = f" ({result.error})" if result.error else ""  # e.g. a version awaits confirmation
        return f"version {result.version}{note}"
    if result.error:
        http = f"HTTP {result.http_status}: " if result.http_status else ""
        return f"{http}{result.error}" if not result.error.startswith("HTTP") else result.error
    return ""


# -- add / list ------------------------------------------------------------------------------


@cli.command()
@click.argument("url")
@click.option("--name", help="A short name to refer to the watch by.")
@click.option("--interval", help='How often the daemon checks it, e.g. "30m", "6h".')
@pass_app
def add(app: App, url: str, name: str | None, interval: str | None) -> None:
    """Watch URL (stored in the database; config.toml [[watch]] entries work too)."""
    try:
        url = parse_http_url(url)
        seconds = parse_interval(interval) if interval else None
    except ValueError as exc:
        raise click.BadParameter(f"expected {exc}") from None
    with app.store() as store:
        app.sync(store)
        watch = store.add_watch(url, name=name, interval=seconds)
    click.echo(f"added watch {watch.id}: {watch.label} ({watch.url})")


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of watches.")
@click.option("--all", "show_all", is_flag=True, help="Include watches no longer in the config.")
@pass_app
def list_(app: App, as_json: bool, show_all: bool) -> None:
    """List the watches with their last status and counts of versions and changes."""
    with app.store() as store:
        app.sync(store)
        watches = store.watches(active_only=not show_all)
        counts = store.counts()
    rows = [_watch_dict(w, counts.get(w.id, (0, 0))) for w in watches]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no watches yet: `monitor add URL` or add [[watch]] to config.toml", err=True)
    for row in rows:
        inactive = "" if row["active"] else "  (inactive: no longer in the config)"
        click.echo(
            f"{row['id']:>4}  {row['name'] or '-':<20} {row['last_status'] or 'never checked':<13} "
            f"{row['versions']:>3} versions {row['changes']:>3} changes  {row['url']}{inactive}"
        )


def _watch_dict(watch: Any, counts: tuple[int, int]) -> dict[str, Any]:
    return {
        "id": watch.id,
        "name": watch.name,
        "url": watch.url,
        "source": watch.source,
        "active": watch.active,
        "interval_s": watch.interval,
        "last_check_at": watch.last_check_at,
        "last_status": watch.last_status,
        "last_error": watch.last_error,
        "error_streak": watch.error_streak,
        "last_change_at": watch.last_change_at,
        "next_check_at": watch.next_check_at,
        "versions": counts[0],
        "changes": counts[1],
    }


# -- log / show / diff ----------------------------------------------------------------------


@cli.command("log")
@click.argument("watch")
@click.option("--json", "as_json", is_flag=True, help="Versions, changes and checks as JSON.")
@click.option("--limit", default=20, show_default=True, help="How many recent checks to show.")
@pass_app
def log_(app: App, watch: str, as_json: bool, limit: int) -> None:
    """Show the versions, changes and recent checks of one watch."""
    with app.store(existing=True) as store:
        target = store.find_watch(watch)
        versions = store.snapshots(target)
        changes = store.changes(target)
        checks = store.checks(target, limit)
    if as_json:
        data = {
            "watch": _watch_dict(target, (len(versions), len(changes))),
            "versions": [_version_dict(v) for v in versions],
            "changes": [{k: v for k, v in c.items() if k != "diff_json"} for c in changes],
            "checks": checks,
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_log(target, versions, changes, checks)


def _version_dict(snapshot: Any) -> dict[str, Any]:
    return {
        "version": snapshot.version,
        "snapshot_id": snapshot.id,
        "created_at": snapshot.created_at,
        "title": snapshot.title,
        "chars": len(snapshot.text),
        "text_sha256": snapshot.text_sha256,
        "extractor": snapshot.extractor,
        "origin": snapshot.origin,
        "metadata": snapshot.metadata.as_dict(),
    }


def _print_log(watch: Any, versions: list[Any], changes: list[Any], checks: list[Any]) -> None:
    click.echo(click.style(f"{watch.label}", bold=True) + f"  {watch.url}")
    click.echo(f"\nVersions ({len(versions)}):")
    for v in versions:
        origin = "  (re-extracted)" if v.origin == "reextract" else ""
        title = _clean(v.title)
        click.echo(f"  v{v.version:<3} {v.created_at}  {len(v.text):>6} chars  {title}{origin}")
    click.echo(f"\nChanges ({len(changes)}):")
    by_id = {v.id: v.version for v in versions}
    for c in changes:
        old = f"v{by_id.get(c['old_snapshot_id'], '?')}"
        new = f"v{by_id.get(c['new_snapshot_id'], '?')}"
        note = {"revert": " (revert)", "flap": " (flapping, not notified)"}.get(c["kind"], "")
        note += " (silent edit)" if c["silent_edit"] else ""
        click.echo(
            f"  #{c['id']:<4} {c['detected_at']}  {old} → {new}  "
            f"+{c['chars_added']} −{c['chars_removed']}{note}"
        )
    click.echo(f"\nLatest checks ({len(checks)}):")
    for c in checks:
        http = c["http_status"] or "-"
        error = f"  {c['error']}" if c["error"] else ""
        click.echo(
            f"  {c['checked_at']}  {c['status']:<13} {http!s:>4} {c['duration_ms']:>6} ms{error}"
        )


@cli.command()
@click.argument("watch")
@click.option("--version", "version", type=int, help="Version number (default: the current one).")
@click.option(
    "--at", "at", help="The version shown at this time (ISO-8601, e.g. 2026-11-27T09:00)."
)
@click.option("--json", "as_json", is_flag=True, help="The version with its metadata as JSON.")
@pass_app
def show(app: App, watch: str, version: int | None, at: str | None, as_json: bool) -> None:
    """Print the text of one stored version of a watch."""
    if version is not None and at is not None:
        raise click.UsageError("give --version or --at, not both")
    with app.store(existing=True) as store:
        target = store.find_watch(watch)
        if version is not None:
            snapshot = store.snapshot_by_version(target, version)
        elif at is not None:
            snapshot = store.snapshot_at(target, _utc_iso(at))
        else:
            snapshot = store.current_snapshot(target)
            if snapshot is None:
                raise UsageError(f"{target.label} has no version yet: run `monitor check`")
    if as_json:
        data = _version_dict(snapshot) | {"text": snapshot.text}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(_clean(snapshot.document))


def _clean(text: str) -> str:
    """Page text as it may be shown on a terminal: no control characters or escapes."""
    from monitor.report import clean

    return clean(text)


def _utc_iso(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO-8601 time", param_hint="--at") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@cli.command()
@click.argument("watch")
@click.argument("a", type=int, required=False)
@click.argument("b", type=int, required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(DIFF_FORMATS),
    help="Output format (default: terminal colours on a terminal, else text).",
)
@pass_app
def diff(app: App, watch: str, a: int | None, b: int | None, fmt: str | None) -> None:
    """Show what changed: the latest change, version A against the current one, or A against B.

    A and B are version numbers, as listed by `monitor log WATCH`.
    """
    from monitor.pipeline import build_report, compare_versions

    with app.store(existing=True) as store:
        target = store.find_watch(watch)
        if a is None:
            changes = store.changes(target)
            if not changes:
                raise UsageError(f"{target.label} has no changes yet (see `monitor log`)")
            report = build_report(store, changes[-1])
        else:
            old = store.snapshot_by_version(target, a)
            new = (
                store.snapshot_by_version(target, b)
                if b is not None
                else store.current_snapshot(target)
            )
            report = compare_versions(target, old, new)
    click.echo(_render(report, fmt), nl=False)


def _render(report: Any, fmt: str | None) -> str:
    from monitor.report import render

    chosen = FORMAT_ALIASES.get(fmt or "", fmt) or ("terminal" if sys.stdout.isatty() else "text")
    text: str = render(report, chosen, color=sys.stdout.isatty())
    return text if text.endswith("\n") else text + "\n"


# -- extract --------------------------------------------------------------------------------


@cli.command()
@click.argument("source", required=False, default="-")
@click.option("--url", help="The page's URL, for site rules and links (when SOURCE is a file).")
@click.option(
    "--json", "as_json", is_flag=True, help="Title, text, metadata and extractor as JSON."
)
@click.option("--no-title", is_flag=True, help="Print the body only, without the title line.")
@click.option(
    "--explain",
    is_flag=True,
    help="First say which rule or method chose the content and what was removed.",
)
@pass_app
def extract(
    app: App, source: str, url: str | None, as_json: bool, no_title: bool, explain: bool
) -> None:
    """Print the article text of a page: SOURCE is a file, a URL, or - for stdin.

    --explain shows how the text was found (site rule, rule pack or generic extraction, the
    content selector or container, the title's source) and what was removed, with samples:
    what you need to write a [[site]] rule.
    """
    from monitor.extract import explain_article, extract_article
    from monitor.fetch import decode_html
    from monitor.report import clean

    if source.startswith(("http://", "https://")):
        html, url = _fetch_one(app, source), url or source
    else:
        html, _ = decode_html(_read_source(source), None)
    rules = app.config.rules_for(url or "", None)
    article = extract_article(html, url, rules)
    how = explain_article(html, url, rules) if explain else None
    if as_json:
        data = {
            "title": article.title,
            "text": article.text,
            "extractor": article.extractor,
            "metadata": article.metadata.as_dict(),
        }
        if how is not None:
            data["explain"] = dataclasses.asdict(how)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if how is not None:
        click.echo(clean(how.describe()) + "\n")
    click.echo(clean(article.text if no_title else article.document))


def _read_source(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror}") from None


def _fetch_one(app: App, url: str) -> str:
    from monitor.fetch import Fetcher
    from monitor.models import FetchOutcome

    async def run() -> Any:
        async with Fetcher(app.config.settings.fetch) as fetcher:
            return await fetcher.fetch(url)

    result = asyncio.run(run())
    if result.outcome is not FetchOutcome.OK:
        raise UsageError(f"cannot fetch {url}: {result.error}")
    text: str = result.text
    return text


@cli.command()
@click.argument("watches", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Only say which watches would change.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line and watch.")
@pass_app
def reextract(app: App, watches: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """Re-run today's extractor over the stored page of each watch's current version.

    A text that comes out different is stored as a new version marked as a re-extraction:
    the new baseline for the next check, not an article change (nothing is reported or
    notified). Run it after upgrading monitor or changing site rules. With no WATCH, all
    active watches.
    """
    from monitor.pipeline import reextract_watch

    with app.store(existing=True) as store:
        app.sync(store)
        selected = [store.find_watch(ref) for ref in watches] if watches else store.watches()
        results = [reextract_watch(store, app.config, w, dry_run=dry_run) for w in selected]
    for result in results:
        if as_json:
            data = {
                "watch": result.watch.label,
                "old_version": result.old_version,
                "new_version": result.new_version,
                "changed": result.changed,
                "note": result.note,
            }
            click.echo(json.dumps(data, ensure_ascii=False))
        else:
            what = f"v{result.old_version} → v{result.new_version}" if result.new_version else ""
            click.echo(
                f"{'changed' if result.changed else 'same':<8} {result.watch.label}  "
                f"{what or result.note}".rstrip()
            )
    if not as_json:
        changed = sum(r.changed for r in results)
        verb = "would get" if dry_run else "got"
        click.echo(f"{changed} of {len(results)} watches {verb} a new extraction baseline")


# -- run / status / demo --------------------------------------------------------------------


@cli.command()
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="text",
    show_default=True,
    help="One event per line on stderr, as text or JSON (for log shippers).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="Processes for parsing and diffing (default: one per CPU; 0: threads).",
)
@pass_app
def run(app: App, log_format: str, workers: int | None) -> None:
    """Run the daemon in the foreground: check every watch on its interval until stopped.

    SIGTERM or Ctrl-C finishes in-flight checks (within shutdown_grace) and exits 0;
    SIGHUP reloads config.toml. Only one daemon runs per database.
    """
    from monitor.service import Daemon

    setup_logging(app.log_level(logging.INFO), log_format)
    app.config  # noqa: B018 - fail early, before the lock, on a bad config
    daemon = Daemon(lambda: load_config(app.config_path), app.db_path, workers=workers)
    asyncio.run(daemon.run())


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per watch.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """Show each watch's last check, status, next check and consecutive errors."""
    with app.store() as store:
        app.sync(store)
        watches = store.watches()
        counts = store.counts()
    rows = [_watch_dict(w, counts.get(w.id, (0, 0))) for w in watches]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"{'watch':<24} {'status':<13} {'last check':<26} {'next check':<26} errors")
    for row in rows:
        name = (row["name"] or row["url"])[:24]
        click.echo(
            f"{name:<24} {row['last_status'] or '-':<13} {row['last_check_at'] or '-':<26} "
            f"{row['next_check_at'] or '-':<26} {row['error_streak']}"
        )


@cli.command()
@click.option(
    "--duration",
    type=click.FloatRange(min=10),
    default=60,
    show_default=True,
    help="Seconds the demo runs.",
)
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False),
    help="Where the demo's database and reports go (default: a new temporary folder).",
)
@pass_app
def demo(app: App, duration: float, workdir: str | None) -> None:
    """The offline demo: a built-in sample site edited while the real daemon watches it.

    Serves a Japanese WordPress (Jannah theme) article and an English one on 127.0.0.1,
    runs the daemon against them, and edits them as it goes: a one-character correction,
    a changed number, an added paragraph, page noise, a 503 and a maintenance page.
    Only the real edits are reported. Needs no network; ends by itself.
    """
    from monitor.demo import run_demo

    setup_logging(app.log_level(logging.WARNING))
    directory = Path(workdir) if workdir else None
    asyncio.run(run_demo(duration, directory, emit=click.echo, color=sys.stdout.isatty()))


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="monitor")
