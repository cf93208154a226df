"""A farm on 127.0.0.1 serving every fault of :mod:`.hostile` at once, one page per fault and
language, for ``bench/hostile.py`` and the hostile-farm test.

Every page lives through the same phases, set by whoever drives the farm (:attr:`HostileFarm.
phase`): ``good`` (the article: the baseline), ``fault`` (the fault's answer), ``recovered``
(the article again) and ``edited`` (the article with one real edit). Faults that are the way an
origin behaves (item 2, validators; item 3, cookies) hold in every phase, from the baseline on.
The host refuses, for every page, a request whose Cookie header is over
:data:`.hostile.COOKIE_LIMIT` (and counts the refusals), as the origin of issue 14 did.

    farm = HostileFarm(); farm.start(); farm.urls()   # {path: url}
    farm.set_phase("fault"); ...; farm.stop()
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final

from monitor.samplesite import hostile
from monitor.samplesite.article import SampleArticle, load_article, replace_text
from monitor.samplesite.noise import Noise
from monitor.samplesite.stopping import Stopping

PHASES: Final = ("good", "fault", "recovered", "edited")
#: The real edit made to each language's article in the ``edited`` phase: (old, new).
EDITS: Final = {"ja": ("1万人", "1万2000人"), "en": ("7-2", "6-3")}
_ALWAYS_ON: Final = frozenset({2, 3})
_HTML: Final = {"Content-Type": "text/html; charset=utf-8"}


@dataclass
class FarmPage:
    """One watched page of the farm: its fault, its language and how often it was served."""

    fault: hostile.Fault
    lang: str
    path: str
    served: int = 0


class HostileFarm:
    """Every fault of :func:`.hostile.faults` at once, in each of ``langs``."""

    def __init__(self, langs: tuple[str, ...] = ("ja", "en"), host: str = "127.0.0.1") -> None:
        self.phase = "good"
        self.edited_at = datetime(2026, 11, 27, 9, 0)
        self.refusals = 0
        self.requests = 0
        self._lock = threading.Lock()
        self._stopping = Stopping()
        self._articles = {lang: hostile.good_article(load_article(lang)) for lang in langs}
        faults = hostile.faults(self._other_language)
        self.pages: dict[str, FarmPage] = {}
        for lang in langs:
            for number, fault in enumerate(faults):
                path = f"/{lang}/{number:02d}-{_slug(fault.name)}/"
                self.pages[path] = FarmPage(fault, lang, path)
        self._server = _Server((host, 0), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def urls(self) -> dict[str, str]:
        """Path -> URL of every watched page."""
        return {path: self.url(path) for path in self.pages}

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def set_phase(self, phase: str) -> None:
        """Enter ``phase`` (one of :data:`PHASES`); ``edited`` makes the edit now."""
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}; allowed: {', '.join(PHASES)}")
        if phase == "edited":
            self.edited_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        self.phase = phase

    def article(self, lang: str) -> SampleArticle:
        """The article of ``lang`` as the current phase has it."""
        article = self._articles[lang]
        if self.phase == "edited":
            old, new = EDITS[lang]
            article = replace_text(article, old, new)
        return article

    def _other_language(self, article: SampleArticle) -> SampleArticle:
        other = "en" if article.lang == "ja" else "ja"
        return self._articles.get(other) or hostile.good_article(load_article(other))

    def answer(self, path: str, headers: dict[str, str]) -> hostile.Answer:
        """What the farm answers to a GET of ``path`` (``headers`` lowercased)."""
        with self._lock:
            self.requests += 1
        if len(headers.get("cookie", "")) > hostile.COOKIE_LIMIT:
            with self._lock:
                self.refusals += 1
            return hostile.Answer(400, {"Content-Type": "text/plain"}, b"Cookie too large")
        route = path.split("?")[0]
        page = self.pages.get(route)
        if page is None:
            return self._other(route)
        with self._lock:
            count = page.served
            page.served += 1
        from monitor.samplesite import render_page

        article = self.article(page.lang)
        url = self.url(page.path)
        html = render_page(article, Noise(seed=count, comment_count=count % 7), url=url)
        view = hostile.Page(article, url, html, self.url(f"/home/{page.lang}/"), self.edited_at)
        faulty = self.phase == "fault" or page.fault.item in _ALWAYS_ON
        if not faulty:
            return hostile.Answer(200, dict(_HTML), html.encode())
        return page.fault.respond(view, hostile.Request(path, headers, count))

    def _other(self, route: str) -> hostile.Answer:
        """The site's other pages: the home pages, and where redirect pages send."""
        for lang in self._articles:
            if route == f"/home/{lang}/":
                html = hostile.home_page(self._articles[lang], self.url(route))
                return hostile.Answer(200, dict(_HTML), html.encode())
        if route in ("/redirect/target/", "/landing/"):
            body = b"<!DOCTYPE html><html><head><title>Landing</title></head><body><p>Hi</p>"
            return hostile.Answer(200, dict(_HTML), body + b"</body></html>")
        return hostile.Answer(404, {"Content-Type": "text/plain"}, b"not found")

    def wait(self, seconds: float) -> bool:
        """Sleep in a handler; True (early) when the farm is stopping."""
        return self._stopping.wait(seconds)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], farm: HostileFarm) -> None:
        self.farm = farm
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client hanging up (a trickle given up on) is no error of the farm."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = self.server.farm.answer(self.path, headers)
        if answer.hang and self.server.farm.wait(answer.hang):
            self.close_connection = True
        elif answer.raw is not None:
            self._send_raw(answer.raw)
        else:
            self._send(answer)

    def _send_raw(self, raw: bytes) -> None:
        """Bytes as they are, then the connection closes."""
        self.wfile.write(raw)
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_WR)

    def _send(self, answer: hostile.Answer) -> None:
        self.send_response(answer.status)
        headers = dict(answer.headers)
        if not any(name.lower() == "content-length" for name in headers):
            headers["Content-Length"] = str(len(answer.body))
        for name, value in headers.items():
            self.send_header(name, value)
        for cookie in answer.cookies:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        if answer.status in (204, 304):
            return
        if answer.trickle:
            self._trickle(answer.body, answer.trickle)
        else:
            self.wfile.write(answer.body)

    def _trickle(self, body: bytes, delay: float) -> None:
        """One byte every ``delay`` seconds, until the client or the farm gives up."""
        for index in range(len(body)):
            if self.server.farm.wait(delay):
                break
            self.wfile.write(body[index : index + 1])
            self.wfile.flush()
        self.close_connection = True
