"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import FAST, Harness, Site
from server import LocalServer

from monitor import samplesite
from monitor.config import Config, Settings
from monitor.store import Store


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1, stopped (threads joined, sockets closed) after the test."""
    with LocalServer() as server:
        yield server


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    config = Config(settings=Settings(database=str(tmp_path / "m.db"), fetch=FAST))
    with Store(config.settings.database) as store:
        yield Harness(store, config)


@pytest.fixture
def ja_site(http_server: LocalServer) -> Site:
    return Site(http_server, samplesite.load_article("ja"))


@pytest.fixture
def en_site(http_server: LocalServer) -> Site:
    return Site(http_server, samplesite.load_article("en"), path="/en/")


@pytest.fixture
def daemons() -> Iterator[list[Any]]:
    """`monitor run` subprocesses a test starts (``test_service.Daemon``): killed at the end
    if still running."""
    started: list[Any] = []
    yield started
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder as the working directory, with a config that makes fetches fast."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    (tmp_path / "config.toml").write_text(
        '[monitor]\nretries = 0\nread_timeout = "2s"\nsecond_fetch = "0s"\n', encoding="utf-8"
    )
    return tmp_path
