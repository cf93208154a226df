"""Schema 10 keeps each watch's failure state (monitor.notices): when its failure began,
whether it was told, when it last recovered. A database of the release before (schema 9,
left by the current release in the middle of failures and after a recovery) is migrated
with that state read from its checks and outbox, so the upgrade tells nothing twice and
forgets no flap. Real SQLite, a real HTTP server on 127.0.0.1, a steppable clock."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils
from harness import FAST, Harness, StepClock, static
from server import LocalServer, Response

from monitor import samplesite
from monitor.config import Config, Settings
from monitor.store import SCHEMA_VERSION, Store
from monitor.store.schema import MIGRATIONS
from monitor.urls import url_key

#: The schema of the release before this one.
RELEASE_SCHEMA = 9
DOWN = static(Response(503, {}, b"down"))
CHANNELS = {"failing": ("hook",), "recovered": ("hook",)}


def hour(number: int) -> str:
    return f"2026-12-01T{number:02d}:00:00+00:00"


def release_database(path: Path, server: LocalServer) -> None:
    """What the release before leaves with ``notify_after_errors = 3`` and a hook for
    failures: ``down`` failed its 4 checks since 10:00 (told at 12:00), ``flaky`` failed 3
    and recovered at 13:00 (told both), ``blip`` failed its last 2 (not told)."""
    db = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:RELEASE_SCHEMA]:
        migration(db)
    db.execute(f"PRAGMA user_version = {RELEASE_SCHEMA}")
    checks = {
        1: ("down", "xxxx", 4, {12: "failing"}),
        2: ("flaky", "xxxo", 0, {12: "failing", 13: "recovered"}),
        3: ("blip", "ooxx", 2, {}),
    }
    for watch_id, (name, pattern, streak, told) in checks.items():
        url = server.url(f"/{name}")
        db.execute(
            "INSERT INTO watches (id, url, name, source, created_at, last_check_at, last_status, "
            "error_streak, url_key) VALUES (?, ?, ?, 'cli', ?, ?, ?, ?, ?)",
            [
                watch_id,
                url,
                name,
                hour(9),
                hour(13),
                "http_error" if pattern[-1] == "x" else "unchanged",
                streak,
                url_key(url),
            ],
        )
        for number, letter in enumerate(pattern, start=10):
            status = "http_error" if letter == "x" else "unchanged"
            check_id = (
                db.table("checks")
                .insert({"watch_id": watch_id, "checked_at": hour(number), "status": status})
                .last_pk
            )
            if number in told:
                db.execute(
                    "INSERT INTO outbox (created_at, kind, channel, watch_id, check_id, "
                    "payload_json, state) VALUES (?, ?, 'hook', ?, ?, '{}', 'sent')",
                    [hour(number), told[number], watch_id, check_id],
                )
    db.conn.commit()
    db.close()


def test_a_release_database_keeps_telling_each_failure_once(
    tmp_path: Path, http_server: LocalServer
) -> None:
    for name in ("down", "flaky", "blip"):
        http_server.route(f"/{name}", DOWN)
    path = tmp_path / "release.db"
    release_database(path, http_server)
    config = Config(settings=Settings(database=str(path), fetch=FAST))
    clock = StepClock(start=StepClock().now.replace(hour=13))
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        down, flaky, blip = (store.watches.get(watch_id) for watch_id in (1, 2, 3))
        assert (down.failing_since, down.failing_told_at, down.recovered_at) == (
            hour(10),
            hour(12),
            None,
        )
        assert (flaky.failing_since, flaky.failing_told_at, flaky.recovered_at) == (
            None,
            None,
            hour(13),
        )
        assert (blip.failing_since, blip.failing_told_at) == (hour(12), None)
        harness = Harness(store, config)
        for _ in range(3):
            clock.step(hours=1)
            for watch in (down, flaky, blip):
                harness.check(watch, clock=clock, channels=CHANNELS)
        page = samplesite.render_page(samplesite.load_article("en")).encode()
        http_server.route("/down", static(Response(200, {"Content-Type": "text/html"}, page)))
        clock.step(hours=1)
        harness.check(down, clock=clock, channels=CHANNELS)
        new = [
            (row.watch_id, row.kind, row.created_at, row.payload)
            for row in store.outbox.of()
            if row.state == "pending"
        ]
    # ``down`` was told before the upgrade: its recovery is told, not its failure again;
    # ``flaky`` fails again within a day of its recovery: a flap, held back
    error = "HTTP 503 Service Unavailable"
    assert new == [
        (3, "failing", hour(14), {"error": error, "streak": 3, "since": hour(12)}),
        (1, "recovered", hour(17), {"streak": 7, "since": hour(10)}),
    ]
