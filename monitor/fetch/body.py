"""Content-Encoding (gzip, deflate) undone in bounded pieces, so the size cap holds."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import httpx


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

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of ``data``, in pieces of at most PIECE bytes."""
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

    def _start_deflate(self, data: bytes) -> bytes:
        """Buffer a deflate body until its first two bytes tell zlib from raw deflate."""
        head = (self._deflate_head or b"") + data
        if len(head) < 2:
            self._deflate_head = head
            return b""
        self._deflate_head = None
        self._inflate = zlib.decompressobj(15 if _is_zlib_header(head) else -15)
        return head
