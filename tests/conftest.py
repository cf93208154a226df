"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from server import LocalServer


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1, stopped (threads joined, sockets closed) after the test."""
    with LocalServer() as server:
        yield server
