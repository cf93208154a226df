"""monitor.fetch.stream: httpcore's connections on asyncio's transports, against real servers
on 127.0.0.1 (plain and TLS; raw sockets where a server must misbehave)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator

import httpcore
import httpx
import pytest
import trustme
from server import LocalServer

from monitor.config import FetchSettings
from monitor.fetch import Fetcher
from monitor.fetch.address import pinned_transport
from monitor.fetch.stream import READ_HIGH_WATER, AsyncioBackend, AsyncioStream
from monitor.models import FetchOutcome, Validators

TIMEOUT = httpx.Timeout(5.0)


def client(
    tls: ssl.SSLContext | bool = True, timeout: httpx.Timeout = TIMEOUT
) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    transport = pinned_transport(limits, AsyncioBackend(), tls)
    return httpx.AsyncClient(transport=transport, timeout=timeout)


class RawServer:
    """A TCP server on 127.0.0.1 running ``serve(connection)`` for each connection in turn,
    in a thread; the number of connections it accepted is ``accepted``."""

    def __init__(self, serve: Callable[[socket.socket], object]) -> None:
        self._serve = serve
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.accepted = 0
        self._closing = False
        self.done = threading.Event()  # set when a connection's ``serve`` returned
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            connection, _ = self._listener.accept()
            if self._closing:
                connection.close()
                return
            self.accepted += 1
            with connection, contextlib.suppress(OSError):
                self._serve(connection)
            self.done.set()

    def close(self) -> None:
        self._closing = True
        socket.create_connection(("127.0.0.1", self.port)).close()  # wakes the accept
        self._thread.join()
        self._listener.close()


StartServer = Callable[[Callable[[socket.socket], object]], RawServer]


@pytest.fixture
def raw_server() -> Iterator[StartServer]:
    servers: list[RawServer] = []

    def start(serve: Callable[[socket.socket], object]) -> RawServer:
        servers.append(RawServer(serve))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def read_request(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_a_page_comes_back_whole(http_server: LocalServer) -> None:
    body = "記事の本文です。".encode() * 20_000  # 480 kB, many reads
    http_server.set("/page", body)

    async def main() -> httpx.Response:
        async with client() as http:
            return await http.get(http_server.url("/page"))

    response = asyncio.run(main())
    assert (response.status_code, response.content) == (200, body)


def test_a_connection_is_kept_alive_between_requests(http_server: LocalServer) -> None:
    http_server.set("/a", "one")
    http_server.set("/b", "two")

    async def main() -> list[str]:
        async with client() as http:
            first = await http.get(http_server.url("/a"))
            second = await http.get(http_server.url("/b"))
            return [first.text, second.text]

    assert asyncio.run(main()) == ["one", "two"]
    assert len(http_server.requests) == 2


def test_reading_stops_above_the_high_water_and_resumes(raw_server: StartServer) -> None:
    body = bytes(range(256)) * (3 * READ_HIGH_WATER // 256)
    server = raw_server(lambda connection: connection.sendall(body))

    async def main() -> tuple[bool, bytes]:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
        assert isinstance(stream, AsyncioStream)
        connection = stream._connection
        async with asyncio.timeout(10):  # the server keeps sending: the buffer fills up
            while not connection.read_paused:
                await asyncio.sleep(0.005)
        paused = connection.read_paused
        received = b""
        while chunk := await stream.read(65536, timeout=5):
            received += chunk
        await stream.aclose()
        return paused, received

    paused, received = asyncio.run(main())
    assert paused
    assert received == body


def test_an_idle_connection_the_server_closed_is_not_used_again(raw_server: StartServer) -> None:
    def answer_once(connection: socket.socket) -> None:
        read_request(connection)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    server = raw_server(answer_once)  # keep-alive promised, then closed

    async def main() -> list[str]:
        async with client() as http:
            first = await http.get(f"http://127.0.0.1:{server.port}/")
            await asyncio.to_thread(server.done.wait, 5)  # the server closed its end
            second = await http.get(f"http://127.0.0.1:{server.port}/")
            return [first.text, second.text]

    assert asyncio.run(main()) == ["ok", "ok"]
    assert server.accepted == 2


def test_a_server_that_does_not_answer_is_a_read_timeout(raw_server: StartServer) -> None:
    stop = threading.Event()
    server = raw_server(lambda connection: (read_request(connection), stop.wait(5)))

    async def main() -> None:
        async with client(timeout=httpx.Timeout(5.0, read=0.2)) as http:
            await http.get(f"http://127.0.0.1:{server.port}/")

    with pytest.raises(httpx.ReadTimeout):
        asyncio.run(main())
    stop.set()


def test_a_server_that_does_not_read_is_a_write_timeout(raw_server: StartServer) -> None:
    stop = threading.Event()
    server = raw_server(lambda connection: stop.wait(5))

    async def main() -> None:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
        try:
            await stream.write(b"x" * (64 << 20), timeout=0.2)  # more than the kernel buffers
        finally:
            await stream.aclose()

    with pytest.raises(httpcore.WriteTimeout):
        asyncio.run(main())
    stop.set()


def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, not listening: refused

        async def main() -> None:
            await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)

        with pytest.raises(httpcore.ConnectError) as caught:
            asyncio.run(main())
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


def test_an_address_that_drops_packets_does_not_stop_the_next_one(
    raw_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Happy eyeballs: a name with two addresses, the first a black hole (a listener whose
    accept queue is full drops further connection attempts), the second answering."""
    server = raw_server(lambda connection: None)
    hole = socket.socket()
    hole.bind(("127.0.0.2", server.port))
    hole.listen(0)
    filling = [socket.socket() for _ in range(3)]
    for sock in filling:
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            sock.connect(("127.0.0.2", server.port))

    async def resolve(host: str, port: int, **kwargs: object) -> list[tuple[object, ...]]:
        tcp = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "")
        return [(*tcp, ("127.0.0.2", port)), (*tcp, ("127.0.0.1", port))]

    async def main() -> None:
        monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", resolve)
        stream = await AsyncioBackend().connect_tcp("two.example", server.port, timeout=10)
        await stream.aclose()

    try:
        asyncio.run(main())  # connected to the second address (the first never answers)
    finally:
        for sock in [*filling, hole]:
            sock.close()
    # the kernel completes a connection before the server's thread accepts it
    assert server.done.wait(10)
    assert server.accepted == 1


def test_a_name_that_cannot_be_encoded_is_a_connect_error() -> None:
    async def main() -> None:
        await AsyncioBackend().connect_tcp("a" * 64 + ".example", 80, timeout=5)

    with pytest.raises(httpcore.ConnectError):
        asyncio.run(main())


@pytest.mark.parametrize("private", [True, False])
def test_a_fetch_of_a_name_that_cannot_be_encoded_fails_and_says_why(private: bool) -> None:
    settings = FetchSettings(retries=0, allow_private_addresses=private)

    async def main() -> tuple[FetchOutcome, str | None]:
        async with Fetcher(settings) as fetcher:
            result = await fetcher.fetch(f"http://{'a' * 64}.example/", Validators())
            return result.outcome, result.error

    outcome, error = asyncio.run(main())
    assert outcome is FetchOutcome.NETWORK_ERROR
    assert (error or "").startswith("connection failed")


def test_writing_to_a_closed_connection_is_a_write_error(raw_server: StartServer) -> None:
    server = raw_server(lambda connection: None)  # accepts and closes

    async def main() -> None:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
        assert await stream.read(100, timeout=5) == b""  # the server's close
        await stream.write(b"GET / HTTP/1.1\r\n\r\n", timeout=5)

    with pytest.raises(httpcore.WriteError):
        asyncio.run(main())


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_server(authority: trustme.CA) -> Iterator[LocalServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with LocalServer(tls=context) as server:
        yield server


def test_a_page_over_tls(https_server: LocalServer, authority: trustme.CA) -> None:
    https_server.set("/page", "<p>安全な記事</p>")
    trusted = ssl.create_default_context()
    authority.configure_trust(trusted)

    async def main() -> tuple[str, bool]:
        async with client(trusted) as http:
            response = await http.get(https_server.url("/page"))
            stream = response.extensions["network_stream"]
            return response.text, stream.get_extra_info("ssl_object") is not None

    assert asyncio.run(main()) == ("<p>安全な記事</p>", True)


def test_a_certificate_nobody_vouches_for_is_a_failed_fetch(https_server: LocalServer) -> None:
    https_server.set("/page", "secret")
    settings = FetchSettings(retries=0, allow_private_addresses=True)

    async def main() -> tuple[FetchOutcome, str | None]:
        async with Fetcher(settings) as fetcher:  # the system's authorities only
            result = await fetcher.fetch(https_server.url("/page"), Validators())
            return result.outcome, result.error

    outcome, error = asyncio.run(main())
    assert outcome is FetchOutcome.NETWORK_ERROR
    assert (error or "").startswith("TLS certificate verification failed")
