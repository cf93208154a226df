"""Small real proxies on 127.0.0.1 for tests: an HTTP forward proxy (absolute-form requests
and CONNECT tunnels) and a SOCKS5 proxy, each with optional credentials, recording what went
through them.

    with HttpProxy(credentials=("desk", "s3cret")) as proxy:
        proxy.url            # "http://desk:s3cret@127.0.0.1:PORT"
        proxy.seen           # ["GET http://127.0.0.1:8000/a", "CONNECT 127.0.0.1:443", ...]
        proxy.refused        # requests refused for want of the right credentials

They relay bytes as they come (one thread per connection) and stop, joining their threads,
when the ``with`` block ends.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import struct
import threading
from types import TracebackType
from typing import Self


class _Proxy:
    """A listening socket on 127.0.0.1 and a thread per connection."""

    scheme = ""

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.credentials = credentials
        self.seen: list[str] = []
        self.refused: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._accepting = threading.Thread(target=self._accept, daemon=True)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        auth = f"{self.credentials[0]}:{self.credentials[1]}@" if self.credentials else ""
        return f"{self.scheme}://{auth}127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._accepting.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping.set()
        self._accepting.join(timeout=5)
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        try:
            client.settimeout(10)
            self.handle(client)
        except OSError:
            pass
        finally:
            self._untrack(client)
            client.close()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def handle(self, client: socket.socket) -> None:
        raise NotImplementedError

    def relay(self, client: socket.socket, upstream: socket.socket) -> None:
        """Copy bytes both ways until either side closes; then close both (a client must
        not send its next request into a connection whose origin has gone)."""
        self._track(upstream)

        def pump(source: socket.socket, sink: socket.socket) -> None:
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    sink.shutdown(socket.SHUT_RDWR)

        back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
        back.start()
        pump(client, upstream)
        with contextlib.suppress(OSError):
            upstream.shutdown(socket.SHUT_RDWR)
        back.join(timeout=10)
        self._untrack(upstream)
        upstream.close()


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """A request head (up to the blank line) and what came after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise OSError("closed before the end of the head")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


class HttpProxy(_Proxy):
    """A forward proxy: ``GET http://host/path`` relayed, ``CONNECT host:port`` tunnelled;
    with credentials, a request without the right ``Proxy-Authorization`` gets 407."""

    scheme = "http"

    def handle(self, client: socket.socket) -> None:
        head, rest = _read_head(client)
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = {
            k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])
        }
        if not self._authorised(headers.get("proxy-authorization", "")):
            self.refused.append(f"{method} {target}")
            client.sendall(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n'
                b"Connection: close\r\n\r\n"
            )
            return
        self.seen.append(f"{method} {target}")
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)), timeout=10)
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.relay(client, upstream)
            return
        self._forward(client, method, target, lines[1:], rest)

    def _authorised(self, header: str) -> bool:
        if self.credentials is None:
            return True
        expected = base64.b64encode(":".join(self.credentials).encode()).decode()
        return header == f"Basic {expected}"

    def _forward(
        self, client: socket.socket, method: str, target: str, lines: list[str], rest: bytes
    ) -> None:
        """An absolute-form request, sent on to its origin as an origin-form one."""
        without = target.split("://", 1)[1]
        authority, _, path = without.partition("/")
        host, _, port = authority.partition(":")
        upstream = socket.create_connection((host, int(port or 80)), timeout=10)
        kept = [line for line in lines if not line.lower().startswith(("proxy-", "connection"))]
        request = f"{method} /{path} HTTP/1.1\r\n" + "".join(f"{line}\r\n" for line in kept)
        upstream.sendall((request + "Connection: close\r\n\r\n").encode("latin-1") + rest)
        self.relay(client, upstream)


class Socks5Proxy(_Proxy):
    """A SOCKS5 proxy (RFC 1928), CONNECT only; with credentials, RFC 1929 user/password."""

    scheme = "socks5"

    def handle(self, client: socket.socket) -> None:
        version, count = _exact(client, 2)
        methods = _exact(client, count)
        wanted = 0x02 if self.credentials else 0x00
        if version != 5 or wanted not in methods:
            client.sendall(b"\x05\xff")
            self.refused.append("no acceptable method")
            return
        client.sendall(bytes([5, wanted]))
        if self.credentials and not self._login(client):
            return
        _ver, command, _rsv, kind = _exact(client, 4)
        host = self._address(client, kind)
        (port,) = struct.unpack(">H", _exact(client, 2))
        if command != 1:
            client.sendall(b"\x05\x07\x00\x01" + b"\x00" * 6)
            return
        self.seen.append(f"CONNECT {host}:{port}")
        upstream = socket.create_connection((host, port), timeout=10)
        client.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + b"\x00\x00")
        self.relay(client, upstream)

    def _login(self, client: socket.socket) -> bool:
        _ver, size = _exact(client, 2)
        user = _exact(client, size).decode()
        (size,) = _exact(client, 1)
        password = _exact(client, size).decode()
        if (user, password) != self.credentials:
            client.sendall(b"\x01\x01")
            self.refused.append(f"login {user}")
            return False
        client.sendall(b"\x01\x00")
        return True

    def _address(self, client: socket.socket, kind: int) -> str:
        if kind == 1:
            return socket.inet_ntoa(_exact(client, 4))
        if kind == 3:
            (size,) = _exact(client, 1)
            return _exact(client, size).decode()
        return socket.inet_ntop(socket.AF_INET6, _exact(client, 16))


def _exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise OSError("closed mid-handshake")
        data += chunk
    return data
