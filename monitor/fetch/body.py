"""Content-Encoding (gzip, deflate) undone in bounded pieces, so the size cap holds; and the
checks that a body arrived whole (a compressed stream that reached its end, an HTML page
whose end is only known from the connection closing that reached ``</html>``)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator

import httpx

#: The end of a web page: a closing </html> or </body> near the end of the body.
_PAGE_END = re.compile(rb"</(?:html|body)\s*>", re.IGNORECASE)
_PAGE_END_WINDOW = 4096
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class Truncated(Exception):
    """The body did not arrive whole; the message says how it is known."""


def check_page_end(body: bytes, media_type: str | None) -> None:
    """For a body whose end is only known from the connection closing (no Content-Length, not
    chunked, not compressed): an HTML page must reach its ``</html>`` (or ``</body>``), else
    the connection was cut before the end. Other media types have no end to check."""
    if media_type not in _HTML_TYPES or not body.strip():
        return
    if not reaches_page_end(body):
        raise Truncated(
            "response truncated: the connection closed before the end of the page (no "
            "Content-Length, and the page stops before </html>)"
        )


def reaches_page_end(body: bytes) -> bool:
    """Whether an HTML page reaches its ``</html>`` (or ``</body>``) near its end."""
    return _PAGE_END.search(body[-_PAGE_END_WINDOW:]) is not None


def _is_zlib_header(head: bytes) -> bool:
    """Whether two bytes are a zlib header (RFC 1950): method 8 and a check multiple of 31."""
    return head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


class _BodyDecoder:
    """Content-Encoding undone in bounded pieces: a gzip bomb is stopped by the size cap
    after at most one piece more than the cap, never inflated whole in memory.

    ``deflate`` is meant to be zlib-wrapped (RFC 9110), but many servers send raw deflate:
    the first two bytes decide, however the body is chunked.
    """

    PIECE = 64 * 1024

    def __init__(self, encoding: str) -> None:
        names = [part.strip().lower() for part in encoding.split(",") if part.strip()]
        names = [name for name in names if name != "identity"]
        if len(names) > 1 or (names and names[0] not in ("gzip", "x-gzip", "deflate")):
            raise httpx.DecodingError(f"unsupported Content-Encoding: {encoding[:50]}")
        self._deflate_head: bytes | None = b"" if names == ["deflate"] else None
        # wbits 47: a gzip or a zlib header, detected
        self._inflate = zlib.decompressobj(47) if names and names != ["deflate"] else None
        self.compressed = bool(names)
        self._fed = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of ``data``, in pieces of at most PIECE bytes."""
        self._fed = self._fed or bool(data)
        if self._deflate_head is not None:
            data = self._start_deflate(data)
        if self._inflate is None:
            if self._deflate_head is None:
                yield data
            return
        while data:
            try:
                piece = self._inflate.decompress(data, self.PIECE)
            except zlib.error as exc:
                raise httpx.DecodingError(f"bad compressed body: {exc}") from None
            yield piece
            data = self._inflate.unconsumed_tail

    def finish(self) -> None:
        """At the end of the body: a compressed stream must have reached its end (a gzip
        stream its trailer), else the body was cut short."""
        if not self._fed:
            return  # an empty body: nothing was cut
        if self._deflate_head or (self._inflate is not None and not self._inflate.eof):
            raise Truncated(
                "response truncated: the compressed body ended before the end of its stream"
            )

    def _start_deflate(self, data: bytes) -> bytes:
        """Buffer a deflate body until its first two bytes tell zlib from raw deflate."""
        head = (self._deflate_head or b"") + data
        if len(head) < 2:
            self._deflate_head = head
            return b""
        self._deflate_head = None
        self._inflate = zlib.decompressobj(15 if _is_zlib_header(head) else -15)
        return head
