"""Content-Encoding (gzip, deflate) undone in bounded pieces, so the size cap holds."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import httpx


class _BodyDecoder:
    """Content-Encoding undone in bounded pieces: a gzip bomb is stopped by the size cap
    after at most one piece more than the cap, never inflated whole in memory."""

    PIECE = 64 * 1024

    def __init__(self, encoding: str) -> None:
        names = [part.strip().lower() for part in encoding.split(",") if part.strip()]
        names = [name for name in names if name != "identity"]
        if len(names) > 1 or (names and names[0] not in ("gzip", "x-gzip", "deflate")):
            raise httpx.DecodingError(f"unsupported Content-Encoding: {encoding[:50]}")
        # wbits 47: a gzip or zlib header, detected; deflate without a header is handled below
        self._inflate = zlib.decompressobj(47) if names else None
        self._raw_deflate = names == ["deflate"]

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of ``data``, in pieces of at most PIECE bytes."""
        if self._inflate is None:
            yield data
            return
        while data:
            try:
                piece = self._inflate.decompress(data, self.PIECE)
            except zlib.error as exc:
                if not self._raw_deflate:
                    raise httpx.DecodingError(f"bad compressed body: {exc}") from None
                self._inflate, self._raw_deflate = zlib.decompressobj(-15), False
                continue
            self._raw_deflate = False
            yield piece
            data = self._inflate.unconsumed_tail
