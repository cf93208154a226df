"""Shared test harness: article pages on the test server and a checker over a temp database."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from server import Handler, LocalServer, Request, Response

from monitor import samplesite
from monitor.config import Config, FetchSettings
from monitor.fetch import Fetcher
from monitor.pipeline import Checker, CheckResult
from monitor.samplesite import Noise, SampleArticle
from monitor.store import Store, Watch

FAST = FetchSettings(
    connect_timeout=1.0,
    read_timeout=0.5,
    total_timeout=2.0,
    retries=1,
    backoff=0.01,
    max_retry_after=0.1,
    second_fetch=0.0,
)
#: The opening of a test's config.toml: no retries, the first check's second fetch at once.
FAST_CONFIG = "[monitor]\nretries = 0\nsecond_fetch = '0s'\n"


@dataclass
class Site:
    """One article page served by the test server, whose article and noise tests change."""

    server: LocalServer
    article: SampleArticle
    noise: Noise = field(default_factory=Noise)
    path: str = "/article/"

    def __post_init__(self) -> None:
        self.server.route(self.path, self.respond)
        self.override: Handler | None = None

    def respond(self, request: Request) -> Response:
        if self.override is not None:
            return self.override(request)
        body = samplesite.render_page(self.article, self.noise).encode("utf-8")
        return Response(200, {"Content-Type": "text/html; charset=utf-8"}, body)

    @property
    def url(self) -> str:
        return self.server.url(self.path)


@dataclass
class Harness:
    store: Store
    config: Config

    def check(self, watch: Watch, **options: Any) -> CheckResult:
        """One check of ``watch`` as stored now, by a Checker given ``options``."""

        async def run() -> CheckResult:
            async with Fetcher(self.config.settings.fetch) as fetcher:
                fresh = self.store.watches.get(watch.id)
                return await Checker(self.store, fetcher, self.config, **options).check(fresh)

        return asyncio.run(run())


class StepClock:
    """A checker's clock (UTC ISO-8601, as ``utcnow`` gives) that moves only when stepped."""

    def __init__(self, start: datetime = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def step(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def __call__(self) -> str:
        return self.now.isoformat(timespec="seconds")


def static(response: Response) -> Handler:
    """A handler that always gives ``response``."""
    return lambda request: response


def assert_whole(database: Path) -> None:
    """``database`` is whole in its one file: a copy of that file alone (no ``-wal`` beside
    it) holds what SQLite sees with the write-ahead log, and no lock file is left behind."""
    import shutil
    import sqlite3

    def counts(path: Path) -> list[int]:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = ("watches", "snapshots", "checks", "changes")
            return [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables]
        finally:
            conn.close()

    wal = Path(f"{database}-wal")
    assert not wal.exists() or wal.stat().st_size == 0, f"{wal}: {wal.stat().st_size} bytes"
    assert not Path(f"{database}.lock").exists()
    alone = database.parent / "copied-alone" / database.name
    alone.parent.mkdir(exist_ok=True)
    shutil.copyfile(database, alone)
    try:
        assert counts(alone) == counts(database)
        assert counts(alone)[0] > 0
    finally:
        shutil.rmtree(alone.parent)
