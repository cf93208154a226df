"""`monitor demo`: the real daemon against a built-in sample site on 127.0.0.1, edited as it runs.

The site serves the sample articles of :mod:`monitor.samplesite` (a Japanese WordPress page
in the Jannah theme and an English one) with fresh page noise on every request: nonces, ad
ids, popular-post order, view counts. A script then edits them on a timeline: page noise and
new comments only, a one-character Japanese correction, a changed number, a 503, a
maintenance page and an added paragraph. Only the three real edits are changes.

The site also serves a WordPress-like RSS feed (``/feed/``) and a sitemap (``/sitemap.xml``),
and the demo follows the feed: midway, a new article is published, appears in the feed, and
the daemon discovers it and checks it (a new watch, not a change).
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from monitor import samplesite
from monitor.config import Config, FeedConfig, FetchSettings, Settings, WatchConfig
from monitor.models import CheckStatus
from monitor.pace import DecaySchedule, Tier
from monitor.pipeline import CheckResult
from monitor.report import render
from monitor.samplesite import Noise, SampleArticle
from monitor.samplesite.feeds import FeedItem, rss, sitemap
from monitor.service import Daemon
from monitor.store import Store
from monitor.web import EmbeddedWeb

Emit = Callable[[str], None]
NAMES = {"ja": "jannah-ja", "en": "budget-en"}
FRESH = "fresh"  # the article published during the demo, found through the feed
FRESH_TITLE = "Council approves the new transit budget"
FEED_NAME = "sample-feed"
WEB_PORT = 8080
COMMENTS = (("佐藤", "分かりやすい解説をありがとうございます。"), ("J. Ortiz", "Great reporting."))


@dataclass
class SitePage:
    """One article of the demo site and what it currently serves."""

    article: SampleArticle
    comments: tuple[tuple[str, str], ...] = ()
    failure: str | None = None  # None, "503" or "maintenance"
    requests: int = 0
    published: datetime | None = None  # listed in the feed and sitemap since then, if set

    def respond(self) -> tuple[int, bytes]:
        """Status and body of the next request: every request has new noise."""
        self.requests += 1
        if self.failure == "503":
            return 503, b"<html><body><h1>503 Service Unavailable</h1></body></html>"
        if self.failure == "maintenance":
            return 200, samplesite.error_page("maintenance").encode("utf-8")
        noise = Noise(
            seed=self.requests,
            timestamp=f"2026-11-27T09:{self.requests % 60:02d}:00+09:00",
            comment_count=len(self.comments) + self.requests % 3,
            comments=self.comments,
        )
        return 200, samplesite.render_page(self.article, noise).encode("utf-8")


@dataclass
class DemoSite:
    """The sample site on 127.0.0.1 (a random free port), in a background thread."""

    pages: dict[str, SitePage] = field(default_factory=dict)

    def __post_init__(self) -> None:
        now = datetime.now(UTC)
        for name in NAMES:
            self.pages[name] = SitePage(samplesite.load_article(name), published=now)
        fresh = replace(samplesite.load_article("en"), title=FRESH_TITLE, slug="2026/11/transit")
        self.pages[FRESH] = SitePage(fresh)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        """The URL of one sample article."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}/"

    def feed_items(self) -> list[FeedItem]:
        """The articles the feed and the sitemap list."""
        return [
            FeedItem(self.url(name), page.article.title, page.article.title, page.published)
            for name, page in self.pages.items()
            if page.published is not None
        ]

    def document(self, path: str) -> tuple[int, str, bytes]:
        """Status, content type and body of ``path``."""
        if path == "feed":
            home = f"http://127.0.0.1:{self.server.server_address[1]}/"
            feed = rss(self.feed_items(), title="Sample site", home=home)
            return 200, "application/rss+xml; charset=UTF-8", feed.encode("utf-8")
        if path == "sitemap.xml":
            return 200, "application/xml", sitemap(self.feed_items()).encode("utf-8")
        page = self.pages.get(path)
        status, body = page.respond() if page else (404, b"not found")
        return status, "text/html; charset=utf-8", body

    def start(self) -> None:
        """Start serving."""
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and free the port (once: later calls do nothing)."""
        if not self.thread.is_alive():
            return
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with site.lock:
                    status, kind, body = site.document(self.path.strip("/"))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@dataclass(frozen=True)
class Step:
    """One scripted event: at ``at`` (share of the run), do ``action``."""

    at: float
    say: str
    action: Callable[[DemoSite], None]


def _edit(name: str, old: str, new: str) -> Callable[[DemoSite], None]:
    def action(site: DemoSite) -> None:
        page = site.pages[name]
        page.article = samplesite.replace_text(page.article, old, new)

    return action


def _add_paragraph(name: str, index: int, text: str) -> Callable[[DemoSite], None]:
    def action(site: DemoSite) -> None:
        page = site.pages[name]
        page.article = samplesite.add_block(page.article, index, text)

    return action


def _fail(name: str, failure: str | None) -> Callable[[DemoSite], None]:
    def action(site: DemoSite) -> None:
        site.pages[name].failure = failure

    return action


def _publish(site: DemoSite) -> None:
    site.pages[FRESH].published = datetime.now(UTC)


def _comments(site: DemoSite) -> None:
    for page in site.pages.values():
        page.comments = COMMENTS


ADDED_PARAGRAPH = (
    "国連安全保障理事会は2024年12月、"
    "北朝鮮の武器輸出に関する専門家パネルの報告を受けて会合を開いた。"
)

#: The timeline: three real edits among noise and errors that must not be reported.
SCRIPT = (
    Step(0.12, "noise only: new comments, counters and nonces on both pages", _comments),
    Step(
        0.22,
        "ja: one-character correction 違法な → 不法な",
        _edit("ja", "違法な戦争", "不法な戦争"),
    ),
    Step(0.30, f"feed: a new article is published: {FRESH_TITLE}", _publish),
    Step(0.34, "en: a changed number, 7-2 → 6-3", _edit("en", "voted 7-2", "voted 6-3")),
    Step(0.42, "ja: the server answers 503", _fail("ja", "503")),
    Step(0.54, "ja: back to normal", _fail("ja", None)),
    Step(0.56, "en: a maintenance page (HTTP 200)", _fail("en", "maintenance")),
    Step(0.68, "en: back to normal", _fail("en", None)),
    Step(0.76, "ja: a paragraph added", _add_paragraph("ja", 6, ADDED_PARAGRAPH)),
)
EXPECTED_CHANGES = 3


@dataclass
class DemoRun:
    """What a demo run did."""

    directory: Path
    database: Path
    reports: Path
    results: list[CheckResult] = field(default_factory=list)

    @property
    def changes(self) -> list[CheckResult]:
        """The checks that reported a change."""
        return [r for r in self.results if r.status is CheckStatus.CHANGED]


def demo_config(site: DemoSite, directory: Path, interval: float) -> Config:
    """The daemon's configuration for the demo: short intervals, no retries."""
    settings = Settings(
        database=str(directory / "monitor.db"),
        reports_dir=str(directory / "reports"),
        interval=interval,
        jitter=interval / 5,
        shutdown_grace=5.0,
        # the first check's second look comes quickly: the script edits within seconds
        fetch=FetchSettings(
            retries=0, read_timeout=5.0, total_timeout=10.0, second_fetch=min(1.0, interval / 10)
        ),
    )
    watches = tuple(WatchConfig(url=site.url(name), name=NAMES[name]) for name in NAMES)
    # The feed is polled often, and its articles checked on a compressed schedule.
    schedule = DecaySchedule(tiers=(Tier(until=30 * 86400, every=2 * interval),))
    feed = FeedConfig(url=site.url("feed"), name=FEED_NAME, interval=interval, schedule=schedule)
    return Config(path=None, settings=settings, watches=watches, feeds=(feed,))


async def run_demo(
    duration: float,
    directory: Path | None,
    *,
    emit: Emit,
    color: bool = False,
    serve: bool = False,
    port: int = WEB_PORT,
) -> DemoRun:
    """Serve the sample site, run the daemon against it, play the script, with the web UI
    over the demo's database; ends by itself, or with ``serve`` keeps the web UI until
    SIGINT/SIGTERM."""
    directory = directory or Path(tempfile.mkdtemp(prefix="monitor-demo-"))
    directory.mkdir(parents=True, exist_ok=True)
    site = DemoSite()
    site.start()
    try:
        config = demo_config(site, directory, interval=max(1.0, duration / 25))
        run = DemoRun(directory, Path(config.settings.database), Path(config.settings.reports_dir))
        Store(run.database).close()  # the web UI reads it from the start
        web = _open_web(run.database, port, config.settings.interval)
        serving = asyncio.create_task(web.run())
        try:
            _intro(emit, site, run, duration, web.url)
            await _run_daemon(config, site, run, duration, emit, color)
            site.stop()
            _outro(emit, run, web.url, serve)
            if serve:
                await _until_stopped()
        finally:
            web.stop()
            await serving
            # The web UI's readers are closed now: the last writer to close leaves the
            # database whole in one file (no -wal, no -shm beside it).
            Store(run.database).close()
    finally:
        site.stop()
    return run


async def _run_daemon(
    config: Config, site: DemoSite, run: DemoRun, duration: float, emit: Emit, color: bool
) -> None:
    started = time.monotonic()
    daemon = Daemon(
        lambda: config,
        workers=0,
        install_signals=False,
        on_result=lambda result: _show(emit, run, result, started, color),
    )
    await asyncio.gather(daemon.run(), _play(daemon, site, duration, started, emit))


def _open_web(database: Path, port: int, interval: float) -> EmbeddedWeb:
    """The web UI on 127.0.0.1:``port``, or on a free port if that one is taken."""
    try:
        return EmbeddedWeb(database, "127.0.0.1", port, None, default_interval=interval)
    except OSError:
        return EmbeddedWeb(database, "127.0.0.1", 0, None, default_interval=interval)


async def _until_stopped() -> None:
    """Wait for SIGINT (Ctrl-C) or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


async def _play(
    daemon: Daemon, site: DemoSite, duration: float, started: float, emit: Emit
) -> None:
    try:
        for step in SCRIPT:
            await asyncio.sleep(max(0.0, started + step.at * duration - time.monotonic()))
            with site.lock:
                step.action(site)
            emit(f"[{time.monotonic() - started:5.1f}s] » {step.say}")
        await asyncio.sleep(max(0.0, started + duration - time.monotonic()))
    finally:
        daemon.stop()


def _show(emit: Emit, run: DemoRun, result: CheckResult, started: float, color: bool) -> None:
    run.results.append(result)
    detail = result.error or (f"version {result.version}" if result.version else "")
    emit(
        f"[{time.monotonic() - started:5.1f}s]   {result.status.value:<13} "
        f"{result.watch.label:<10} {detail}"
    )
    if result.report is not None:
        text = render(result.report, "terminal" if color else "text", color=color)
        emit("\n".join("            " + line for line in text.splitlines()))


def _intro(emit: Emit, site: DemoSite, run: DemoRun, duration: float, web_url: str) -> None:
    emit(f"monitor demo: {duration:.0f} seconds, offline, on a sample site served at")
    for name in NAMES:
        emit(f"  {site.url(name)}  ({NAMES[name]})")
    emit(f"  {site.url('feed')}  (its RSS feed, followed: new articles become watches)")
    emit(f"database: {run.database}")
    emit(f"web UI:   {web_url}  (watch the changes arrive)\n")


def _outro(emit: Emit, run: DemoRun, web_url: str, serving: bool) -> None:
    _summary(emit, run)
    if serving:
        emit(f"web UI:   {web_url}  (serving until Ctrl-C)")
    else:
        emit(f"web UI:   {web_url}  (stopped with the demo: `monitor demo --serve` keeps it")
        emit(f"          running, as does `monitor --db {run.database} serve`)")


def _summary(emit: Emit, run: DemoRun) -> None:
    db = run.database
    emit("")
    emit(
        f"done: {len(run.results)} checks, {len(run.changes)} changes "
        f"(the script made {EXPECTED_CHANGES} real edits; noise and errors are not changes)"
    )
    emit(f"database: {db}")
    emit(f"reports:  {run.reports}")
    emit("explore:")
    for name in NAMES.values():
        emit(f"  monitor --db {db} log {name}")
    emit(f"  monitor --db {db} diff {NAMES['ja']}")
    emit(f"  monitor --db {db} diff {NAMES['en']} --format html > diff.html")
    emit(f"  monitor --db {db} show {NAMES['ja']} --version 1")
    emit(f"  monitor --db {db} feeds")
    emit(f'  monitor --db {db} log "{FRESH_TITLE}"')
