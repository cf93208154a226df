"""Real-browser support: Debian's chromium driven by Playwright, the web UI served by a real
uvicorn server, and a database filled by the real pipeline from the sample site.

    database = build_database(tmp / "ui.db")         # watches with versions, via real checks
    with UiServer(database.path) as ui:               # uvicorn in a thread, 127.0.0.1:free port
        with sync_playwright() as playwright:
            browser = launch(playwright, require_chromium())
            tab = Tab.open(browser, ui.url("/"))

Build the database before Playwright starts: its sync API keeps an event loop marked as
running in the thread, so ``asyncio.run`` (which every real check uses) fails while it lives.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import pytest
from harness import FAST, Harness, Site
from server import LocalServer

from monitor import samplesite
from monitor.config import Config, Settings
from monitor.models import CheckStatus
from monitor.samplesite import Block, SampleArticle
from monitor.store import Store, Watch

if TYPE_CHECKING:
    import uvicorn
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Playwright

#: CI sets it: a missing browser fails the browser tests instead of skipping them.
REQUIRE_ENV = "MONITOR_REQUIRE_BROWSER"

#: Without the background-networking flags Chromium phones home at start, and on a closed
#: network those connections are refused (and logged) over and over.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

#: The first JavaScript run by the hostile article's markup would set this (or open a dialog).
PROBE = "window.__pwned"
HOSTILE_TITLE = 'XSS "><img src=x onerror="window.__pwned=1"> <script>alert(1)</script> titles'
HOSTILE_FEED = 'Feed "><img src=x onerror="window.__pwned=4"> <script>alert(4)</script>'
HOSTILE_TEXT = (
    'Code like <script>alert(1)</script> and <img src=x onerror="alert(1)"> '
    "is shown as text, never run."
)
HOSTILE_EDIT = (
    'Update: <img src=y onerror="window.__pwned=2"> and <script>window.__pwned=3</script> '
    "</textarea></style><svg onload=alert(4)> are text too."
)


# --- the browser -------------------------------------------------------------------------


def require_chromium() -> str:
    """Chromium's path and a usable Playwright; else skip, or fail when ``REQUIRE_ENV=1``."""
    path = shutil.which("chromium")
    reason = "Debian's chromium is not installed (apt-get install chromium)"
    if path is not None:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "Python playwright is not installed (pip install -e '.[dev]')"
        else:
            return path
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 requires the browser tests", pytrace=False)
    pytest.skip(reason)


def launch(playwright: Playwright, executable: str) -> Browser:
    """Headless chromium with a fresh temporary profile, quiet on a closed network."""
    return playwright.chromium.launch(
        executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
    )


@dataclass
class Tab:
    """A page in its own browser context, recording dialogs, console messages and errors.

    Dialogs are dismissed, so an ``alert()`` that ran cannot block the test; it is recorded.
    """

    page: Page
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Browser, **context_options: Any) -> Tab:
        context = browser.new_context(**context_options)
        tab = cls(context.new_page())
        tab.page.on("dialog", tab._on_dialog)
        tab.page.on("console", tab._on_console)
        tab.page.on("pageerror", lambda error: tab.errors.append(str(error)))
        return tab

    def close(self) -> None:
        self.page.context.close()

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _on_console(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")

    def csp_violations(self) -> list[str]:
        """Console lines in which the browser says the page's CSP refused something."""
        return [line for line in self.console if "Content Security Policy" in line]

    def assert_inert(self) -> None:
        """No dialog opened, the probe is unset, and no element has an event-handler
        attribute, an inline script or a ``javascript:`` link."""
        assert self.dialogs == [], self.dialogs
        assert self.page.evaluate(f"typeof {PROBE}") == "undefined"
        live = self.page.evaluate(LIVE_MARKUP_JS)
        assert live == [], live


#: Elements that could run script: on* attributes, inline scripts, javascript: URLs.
LIVE_MARKUP_JS = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    if (el.tagName === 'SCRIPT' && !el.src) found.push('inline <script>');
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.trim().toLowerCase();
      if (name.startsWith('on')) found.push(`${el.tagName} ${name}`);
      if (/^(href|src|action|formaction)$/.test(name) && value.startsWith('javascript:'))
        found.push(`${el.tagName} ${name}=${value}`);
    }
  }
  return found;
}"""


# --- the web UI on a real server ---------------------------------------------------------


class UiServer:
    """``monitor.web`` over ``database`` on a real uvicorn server, 127.0.0.1, a free port,
    in a background thread; a context manager that stops it and joins the thread."""

    def __init__(self, database: Path, *, token: str | None = None) -> None:
        from monitor import web

        app = web.create_app(str(database), token=token)
        self.server: uvicorn.Server = web.build_server(app, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self.server.run, name="ui-server", daemon=True)
        self.port = 0

    def __enter__(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the web UI server did not start")
            time.sleep(0.01)
        self.port = int(self.server.servers[0].sockets[0].getsockname()[1])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=15)


# --- a database made by the real pipeline ------------------------------------------------


@dataclass
class UiDatabase:
    """The database the UI tests browse, and what is in it."""

    path: Path
    ja: Watch  # versions 1-4: 1万人 → 1万2000人, 違法な → 不法な, a paragraph added
    en: Watch  # versions 1-2: voted 7-2 → voted 6-3
    hostile: Watch  # versions 1-2: markup and script in the title and the text, as text
    failing: Watch  # no version: its one check got a 503
    feed: int = 0  # a followed feed with a hostile name and warning that found the hostile article


ADDED_PARAGRAPH = "国連安全保障理事会は2024年12月、専門家パネルの報告を受けて会合を開いた。"
JA_EDITS = (("1万人", "1万2000人"), ("違法な戦争", "不法な戦争"))


def hostile_article() -> SampleArticle:
    """The English sample article with markup and script in its title and its text."""
    article = samplesite.load_article("en")
    blocks = (*article.blocks[:1], Block("p", HOSTILE_TEXT), *article.blocks[1:])
    return replace(article, title=HOSTILE_TITLE, blocks=blocks)


def build_database(path: Path) -> UiDatabase:
    """Serve the sample articles on 127.0.0.1, watch them and check them as they are edited."""
    config = Config(settings=Settings(database=str(path), fetch=FAST))
    with LocalServer() as server, Store(str(path)) as store:
        harness = Harness(store, config)
        ja = Site(server, samplesite.load_article("ja"), path="/ja/")
        en = Site(server, samplesite.load_article("en"), path="/en/")
        hostile = Site(server, hostile_article(), path="/hostile/")
        server.set("/down/", "<h1>503 Service Unavailable</h1>", status=503)
        watches = [
            store.watches.add(ja.url, name="jannah-ja"),
            store.watches.add(en.url, name="budget-en"),
            store.watches.add(hostile.url, name="hostile"),
            store.watches.add(server.url("/down/"), name="down"),
        ]
        for watch in watches:
            harness.check(watch)
        for old, new in JA_EDITS:
            _edit(harness, watches[0], ja, samplesite.replace_text(ja.article, old, new))
        _edit(harness, watches[0], ja, samplesite.add_block(ja.article, 6, ADDED_PARAGRAPH))
        _edit(harness, watches[1], en, samplesite.replace_text(en.article, "7-2", "6-3"))
        _edit(harness, watches[2], hostile, samplesite.add_block(hostile.article, 3, HOSTILE_EDIT))
        feed = _hostile_feed(store, watches[2])
        return UiDatabase(path, *(store.watches.get(watch.id) for watch in watches), feed=feed)


def _hostile_feed(store: Store, watch: Watch) -> int:
    """A followed feed named and warned about with markup, said to have found ``watch``."""
    feed = store.feeds.add_feed("https://news.example/feed/", name=HOSTILE_FEED)
    with store.transaction():
        store.db.execute("UPDATE feeds SET last_warning = ? WHERE id = ?", [HOSTILE_FEED, feed.id])
        store.db.execute("UPDATE watches SET feed_id = ? WHERE id = ?", [feed.id, watch.id])
    return feed.id


def _edit(harness: Harness, watch: Watch, site: Site, article: SampleArticle) -> None:
    site.article = article
    result = harness.check(watch)
    assert result.status is CheckStatus.CHANGED, (watch.name, result.status)


# --- screenshots -------------------------------------------------------------------------


def png_pixels(data: bytes) -> list[tuple[int, int, int]]:
    """The RGB pixels of an 8-bit RGB or RGBA PNG, as Chromium writes screenshots."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    idat = b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        chunks[kind] = body
        idat += body if kind == b"IDAT" else b""
        at += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert depth == 8 and color in (2, 6), (depth, color)
    step = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * step
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        _unfilter(kind, line, previous, step)
        rows.append(line)
        previous = line
    return [tuple(row[x : x + 3]) for row in rows for x in range(0, stride, step)]  # type: ignore[misc]


def _unfilter(kind: int, line: bytearray, previous: bytearray, step: int) -> None:
    for i in range(len(line)):
        left = line[i - step] if i >= step else 0
        up, corner = previous[i], previous[i - step] if i >= step else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            guess = left + up - corner
            near = min(
                (abs(guess - left), 0, left),
                (abs(guess - up), 1, up),
                (abs(guess - corner), 2, corner),
            )
            line[i] = (line[i] + near[2]) & 0xFF
