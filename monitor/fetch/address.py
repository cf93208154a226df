"""The allow_private_addresses check: refuse hosts that are or resolve to non-public addresses."""

from __future__ import annotations

import asyncio
import ipaddress


class AddressRefused(Exception):
    """A host resolves to a private, loopback or otherwise non-public address."""


async def _check_public(host: str, port: int) -> None:
    """Refuse hosts that are or resolve to non-public addresses (allow_private_addresses)."""
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port)
        except OSError:
            return  # the request itself will fail and say why
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        if not address.is_global:
            raise AddressRefused(
                f"refused: {host} is a non-public address ({address}); "
                "allow_private_addresses = false"
            )
