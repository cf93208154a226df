"""Connections for httpcore on asyncio's own transports.

httpcore's default backend for asyncio goes through anyio, which adds a task checkpoint (an
extra turn of the event loop) to every read and write, and answers the pool's question "has
the server closed this idle connection?" by building a dictionary of the socket's attributes
(a ``getpeername`` system call among them) and polling the socket. The pool asks it of every
connection it holds, twice a request: at 10 connections to one site that was a tenth of the
event loop's time in a routine pass.

Here a connection is an :class:`asyncio.Protocol` that keeps what the transport delivered:
reads take from its buffer, writes go to the transport (waiting when it asks for a pause),
and a connection the server closed is known from the close the event loop already delivered
(a poll of the socket covers a close the loop has not yet read). TLS is asyncio's own
(:meth:`asyncio.loop.start_tls`). Errors are httpcore's: a timeout is a ``ReadTimeout``,
``WriteTimeout`` or ``ConnectTimeout``, anything else a ``ReadError``, ``WriteError`` or
``ConnectError``, with the OS's error as its cause. Requests through a configured proxy go
through httpx's own proxy transport, as before.
"""

from __future__ import annotations

import asyncio
import select
import ssl
from collections.abc import Awaitable, Iterable
from typing import Any

import httpcore

#: Above this many unread bytes the transport stops reading until they are taken.
READ_HIGH_WATER = 1 << 20
#: A host's next address is tried this many seconds after the one before, without waiting
#: for it to fail (RFC 8305, as anyio does): an address that drops packets (a broken IPv6
#: route) does not use up the connect timeout.
HAPPY_EYEBALLS_DELAY = 0.25
_POLLIN = getattr(select, "POLLIN", 1)


class _Connection(asyncio.Protocol):
    """What the transport delivered and what it said, for one :class:`AsyncioStream`."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.closed = False  # the connection is gone
        self.lost: Exception | None = None  # the error it was lost to, if any
        self._read_waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None
        self.write_paused = False
        self.read_paused = False

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > READ_HIGH_WATER and not self.read_paused and self.transport:
            self.read_paused = True
            self.transport.pause_reading()
        _wake(self._read_waiter)

    def eof_received(self) -> bool:
        self.eof = True
        _wake(self._read_waiter)
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = self.closed = True
        self.lost = exc
        _wake(self._read_waiter)
        _wake(self._drain_waiter)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        _wake(self._drain_waiter)

    # -- for the stream

    async def readable(self) -> None:
        """Wait until there is something to read, or nothing more will come."""
        while not self.buffer and not self.eof:
            self._read_waiter = asyncio.get_running_loop().create_future()
            try:
                await self._read_waiter
            finally:
                self._read_waiter = None

    async def drained(self) -> None:
        """Wait until the transport takes writes again (or the connection is lost)."""
        while self.write_paused and not self.closed:
            self._drain_waiter = asyncio.get_running_loop().create_future()
            try:
                await self._drain_waiter
            finally:
                self._drain_waiter = None

    def take(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` of what was received."""
        if len(self.buffer) <= max_bytes:
            data = bytes(self.buffer)
            self.buffer.clear()
        else:
            data = bytes(self.buffer[:max_bytes])
            del self.buffer[:max_bytes]
        if self.read_paused and len(self.buffer) <= READ_HIGH_WATER // 2 and self.transport:
            self.read_paused = False
            self.transport.resume_reading()
        return data


def _caused(kind: type[Exception], cause: Exception) -> Exception:
    """``kind`` for an error the transport reported, the OS's error kept as its context as
    well as its cause (httpcore's pool re-raises ``from None``; the context is what says
    "connection reset" then, as it does for anyio's streams)."""
    error = kind(str(cause))
    error.__cause__ = error.__context__ = cause
    return error


def _write_error(connection: _Connection) -> Exception:
    """The error of a write to a connection that is gone."""
    gone = connection.lost or BrokenPipeError("the server closed the connection")
    return _caused(httpcore.WriteError, gone)


async def _within(
    timeout: float | None, waiting: Awaitable[None], error: type[Exception], doing: str
) -> None:
    """Wait for ``waiting``; ``error`` ("timed out reading from the server") after
    ``timeout`` seconds."""
    try:
        async with asyncio.timeout(timeout):
            await waiting
    except TimeoutError as exc:
        raise error(f"timed out {doing} the server") from exc


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection, as httpcore reads and writes it."""

    def __init__(self, connection: _Connection, raw: Any) -> None:
        self._connection = connection
        self._raw = raw  # the TCP socket (asyncio's view of it)
        # for polling an idle connection, while its socket is open (the number may be
        # given to another socket once it is closed)
        self._poll = select.poll()
        self._poll.register(raw.fileno(), _POLLIN)

    @property
    def _transport(self) -> asyncio.Transport:
        transport = self._connection.transport
        assert transport is not None, "a stream is made for a connected transport"
        return transport

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        connection = self._connection
        if not connection.buffer and not connection.eof:
            await _within(timeout, connection.readable(), httpcore.ReadTimeout, "reading from")
        if connection.buffer:
            return connection.take(max_bytes)
        if connection.lost is not None:
            raise _caused(httpcore.ReadError, connection.lost)
        return b""  # the server closed the connection (httpcore decides what that means)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        connection = self._connection
        if connection.closed or self._transport.is_closing():
            raise _write_error(connection)
        self._transport.write(buffer)
        if connection.write_paused:
            await _within(timeout, connection.drained(), httpcore.WriteTimeout, "writing to")
            if connection.closed:
                raise _write_error(connection)

    async def aclose(self) -> None:
        """Close the connection: what is still unsent gets one turn of the event loop to
        leave, then the socket is released (a server that stopped reading cannot keep it)."""
        transport = self._connection.transport
        if transport is None or self._connection.closed:
            return
        transport.close()
        await asyncio.sleep(0)
        transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport,
                    self._connection,
                    ssl_context,
                    server_hostname=server_hostname,
                    ssl_handshake_timeout=timeout,
                )
        except TimeoutError as exc:
            await self.aclose()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from exc
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            await self.aclose()
            raise httpcore.ConnectError(str(exc)) from exc
        if transport is None:
            await self.aclose()
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        assert isinstance(transport, asyncio.Transport)
        self._connection.transport = transport
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return self._is_readable()
        transport = self._connection.transport
        if transport is None:
            return None
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return self._raw
        return None

    def _is_readable(self) -> bool:
        """Whether the server sent something or closed (for an idle connection: it expired)."""
        connection = self._connection
        if connection.buffer or connection.eof or connection.closed:
            return True
        if self._raw.fileno() < 0 or self._transport.is_closing():
            return True  # (over TLS the socket closes a turn before the loss is told)
        return bool(self._poll.poll(0))


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on asyncio's transports (see the module's docstring)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                transport, connection = await loop.create_connection(
                    _Connection,
                    host,
                    port,
                    local_addr=local,
                    happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY,
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"timed out connecting to {host}:{port}") from exc
        except (OSError, UnicodeError) as exc:  # UnicodeError: a name IDNA cannot encode
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        raw = transport.get_extra_info("socket")
        for option in socket_options or ():
            raw.setsockopt(*option)
        return AsyncioStream(connection, raw)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
