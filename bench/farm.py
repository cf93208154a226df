"""A farm of realistic article pages on 127.0.0.1, for the throughput benchmark.

Pages are WordPress-like (the Jannah and Twenty Twenty-One sample pages of
:mod:`monitor.samplesite`: header, nav, body with captions, a sidebar with rotating popular
posts, comments and a comment form), Japanese and English, each ~40-100 kB. Page ``i`` is a
base page with its number in the title and the body, and fresh noise on every request
(nonces, ad ids, popular-post order, view and comment counts, timestamps): a monitor that
does not extract the article sees every page change on every fetch.

The farm runs in its own process (a small asyncio HTTP/1.1 server with keep-alive), so it
does not share a core's time slices with the monitor under test in a way that hides its cost.

    GET /page/<i>          the page
    GET /_edit?pages=1,2   from now on, pages 1 and 2 carry an edit (an empty list: none)
    GET /_static?on=1      serve fixed bytes with an ETag (answers 304 to If-None-Match)
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlsplit

from monitor import samplesite

VARIANTS = 16  # noise variants per base page, served in turn
MARK = "PAGE-NUMBER-MARK"
EDIT = " Correction: an earlier version of this article gave a wrong figure."


@dataclass
class FarmState:
    """What the farm serves: base renders with a page-number mark, edits, static mode."""

    bases: list[list[bytes]] = field(default_factory=list)  # [article][variant]
    edited: list[list[bytes]] = field(default_factory=list)
    edits: set[int] = field(default_factory=set)
    static: bool = False
    served: int = 0

    def page(self, number: int) -> bytes:
        """The bytes of page ``number`` for this request."""
        self.served += 1
        renders = self.edited if number in self.edits else self.bases
        kind = renders[number % len(renders)]
        body = kind[0 if self.static else self.served % VARIANTS]
        return body.replace(MARK.encode(), str(number).encode())


def _articles() -> list[samplesite.SampleArticle]:
    """The base articles, each with the page-number mark in its title and first paragraph."""
    found = []
    for name in samplesite.SAMPLE_NAMES:
        article = samplesite.load_article(name)
        article = replace(article, title=f"{article.title} {MARK}")
        first = next(b for b in article.blocks if b.kind == "p")
        found.append(samplesite.replace_text(article, first.text, f"{first.text} ({MARK})"))
    return found


def _edit(article: samplesite.SampleArticle) -> samplesite.SampleArticle:
    """The article with one sentence added to its last paragraph (a correction)."""
    block = article.blocks[-1]
    return samplesite.replace_text(article, block.text, block.text + EDIT)


def build_state() -> FarmState:
    """Render every base page in every noise variant (once, at start)."""
    state = FarmState()
    for article in _articles():
        for target, source in ((state.bases, article), (state.edited, _edit(article))):
            target.append(
                [
                    samplesite.render_page(
                        source, samplesite.Noise(seed=v, comment_count=v % 5)
                    ).encode()
                    for v in range(VARIANTS)
                ]
            )
    return state


def _control(state: FarmState, path: str) -> bytes:
    parts = urlsplit(path)
    query = parse_qs(parts.query)
    if parts.path == "/_edit":
        pages = query.get("pages", [""])[0]
        state.edits = {int(p) for p in pages.split(",") if p}
    elif parts.path == "/_static":
        state.static = query.get("on", ["0"])[0] == "1"
    return b"ok"


def _response(status: str, body: bytes, extra: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


def _answer(state: FarmState, path: str, headers: dict[str, str]) -> bytes:
    if path.startswith("/_"):
        return _response("200 OK", _control(state, path))
    if not path.startswith("/page/"):
        return _response("404 Not Found", b"not found")
    body = state.page(int(path.rsplit("/", 1)[1]))
    if not state.static:
        return _response("200 OK", body)
    etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
    if headers.get("if-none-match") == etag:
        return _response("304 Not Modified", b"", f"ETag: {etag}\r\n")
    return _response("200 OK", body, f"ETag: {etag}\r\n")


async def _serve_client(
    state: FarmState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in lines[1:] if line)
            }
            writer.write(_answer(state, path, headers))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _run(sock: socket.socket, ready: Callable[[], None]) -> None:
    state = build_state()

    async def main() -> None:
        server = await asyncio.start_server(
            lambda r, w: _serve_client(state, r, w), sock=sock, backlog=1024
        )
        ready()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class Farm:
    """The farm in a child process; a context manager."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        context = multiprocessing.get_context("fork")
        self._ready = context.Event()
        self.process = context.Process(target=_run, args=(self.sock, self._ready.set), daemon=True)

    def __enter__(self) -> Farm:
        self.process.start()
        self._ready.wait(60)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.join(10)
        self.sock.close()

    def url(self, number: int) -> str:
        """The URL of page ``number``."""
        return f"http://127.0.0.1:{self.port}/page/{number}"

    def control(self, path: str) -> None:
        """Send a control request (edits, static mode)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as conn:
            conn.sendall(f"GET {path} HTTP/1.1\r\nHost: farm\r\n\r\n".encode())
            conn.recv(1000)

    def edit(self, pages: set[int]) -> None:
        """Pages that carry an edit from now on."""
        self.control("/_edit?pages=" + ",".join(str(p) for p in sorted(pages)))
