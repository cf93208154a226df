"""The allow_private_addresses check: refuse hosts that are or resolve to non-public addresses.

Two layers: :func:`_check_public` refuses each redirect hop before a request is sent, and
:class:`PublicOnlyBackend` checks again where the socket is opened and connects to the very
address it checked. Without the second, a name that resolves to a public address for the check
and to a private one a moment later for the connection (DNS rebinding) would get through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], Awaitable[list[str]]]


class AddressRefused(Exception):
    """A host resolves to a private, loopback or otherwise non-public address."""


def _is_public(address: IPAddress) -> bool:
    return address.is_global


async def _resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host``, in the order the system resolver gives them."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _refuse_private(
    host: str, addresses: Iterable[IPAddress], is_allowed: Callable[[IPAddress], bool]
) -> None:
    for address in addresses:
        if not is_allowed(address):
            raise AddressRefused(
                f"refused: {host} is a non-public address ({address}); "
                "allow_private_addresses = false"
            )


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def _check_public(host: str, port: int) -> None:
    """Refuse hosts that are or resolve to non-public addresses (allow_private_addresses)."""
    literal = _literal(host)
    if literal is not None:
        _refuse_private(host, [literal], _is_public)
        return
    try:
        addresses = await _resolve(host, port)
    except (OSError, UnicodeError):  # UnicodeError: a name IDNA cannot encode
        return  # the request itself will fail and say why
    _refuse_private(host, (ipaddress.ip_address(a) for a in addresses), _is_public)


class PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """Resolves a host once, refuses it if any address is not public, and connects to the
    checked address (TLS still verifies the host name: httpcore passes it as SNI)."""

    def __init__(
        self,
        inner: httpcore.AsyncNetworkBackend | None = None,
        *,
        resolve: Resolve = _resolve,
        is_allowed: Callable[[IPAddress], bool] = _is_public,
    ) -> None:
        self._inner = inner or httpcore.AnyIOBackend()
        self._resolve = resolve
        self._is_allowed = is_allowed

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to the first checked address of ``host`` that answers."""
        addresses = await self._addresses(host, port)
        error: OSError | httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
        raise error or httpcore.ConnectError(f"{host} has no address")

    async def _addresses(self, host: str, port: int) -> list[IPAddress]:
        literal = _literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = [ipaddress.ip_address(a) for a in await self._resolve(host, port)]
            except (OSError, UnicodeError) as exc:
                raise httpcore.ConnectError(f"name resolution failed: {exc}") from exc
        _refuse_private(host, addresses, self._is_allowed)
        return addresses

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def pinned_transport(
    limits: httpx.Limits,
    backend: httpcore.AsyncNetworkBackend,
    tls: ssl.SSLContext | bool = True,
) -> httpx.AsyncHTTPTransport:
    """httpx's own transport, opening its connections through ``backend``.

    httpx takes no network backend as an argument; the pool it builds does, so it is set there
    before the first request (``test_fetch`` proves that connections go through it).
    """
    transport = httpx.AsyncHTTPTransport(verify=tls, limits=limits)
    transport._pool._network_backend = backend
    return transport
