"""uvicorn's HTTP/1.1 protocol (h11), answering requests too big to read instead of dropping them.

A request whose head (request line and headers) does not fit in :data:`MAX_HEAD` is refused by
h11; uvicorn then wrote a 400 and closed the socket while the client was still sending, so the
kernel reset the connection and the client never read the answer. Here the answer says what
was too big (``414 URI Too Long`` when the request line alone is, else ``431 Request Header
Fields Too Large``), the connection is half-closed after it, and what the client still sends is
read and dropped (up to :data:`DRAIN_BYTES`, for at most :data:`LINGER_SECONDS`) before the
socket is closed, so the answer arrives.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_HEAD = 64 * 1024
DRAIN_BYTES = 16 * 1024 * 1024
LINGER_SECONDS = 5.0
_REASONS = {400: "Bad Request", 414: "URI Too Long", 431: "Request Header Fields Too Large"}


class BoundedH11Protocol(H11Protocol):
    """:class:`H11Protocol` with a request-head limit that is answered (414/431), not dropped."""

    _draining = False
    _drained = 0
    _linger: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        if self._draining:
            self._drained += len(data)
            if self._drained > DRAIN_BYTES:
                self.transport.close()
            return
        if self.conn.their_state is h11.IDLE:  # reading a request head
            head = self.conn.trailing_data[0] + data
            if len(head) > MAX_HEAD and b"\r\n\r\n" not in head[: MAX_HEAD + 4]:
                self._refuse(head, "request head too large")
                return
        super().data_received(data)

    def eof_received(self) -> None:
        if self._draining:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._linger is not None:
            self._linger.cancel()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """Answer a request h11 could not read: 414, 431 or 400, then close gracefully."""
        self._refuse(self.conn.trailing_data[0], msg)

    def _refuse(self, received: bytes, msg: str) -> None:
        status, text = refusal(received, msg)
        body = f"{status} {_REASONS[status]}: {text}\n".encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
            "content-type: text/plain; charset=utf-8\r\n"
            "x-content-type-options: nosniff\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        self._draining = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._linger = self.loop.call_later(LINGER_SECONDS, self.transport.close)


def refusal(buffered: bytes, message: str) -> tuple[int, str]:
    """The status and reason for a request h11 refused, from what was buffered of it."""
    if len(buffered) < MAX_HEAD:
        return 400, message
    if b"\n" not in buffered[:MAX_HEAD]:
        return 414, f"the request line is longer than {MAX_HEAD // 1024} kB"
    return 431, f"the request's headers are longer than {MAX_HEAD // 1024} kB"
